import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { schemaRef } from './intake.openapi';

/** Error answers of a route: application/problem+json with a stable `code`. */
export const ApiProblems = (...answers: [status: number, description: string][]) =>
  applyDecorators(
    ...answers.map(([status, description]) =>
      ApiResponse({ status, description, content: { 'application/problem+json': { schema: schemaRef('Problem') } } }),
    ),
  );

/** A JSON answer whose schema is one of the contract's components. */
export const ApiJson = (status: number, description: string, component: string) =>
  ApiResponse({ status, description, content: { 'application/json': { schema: schemaRef(component) } } });
