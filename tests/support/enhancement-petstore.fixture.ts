/** Test data for the enhancement specs (not used at run time). */
import { Endpoint, TestCase } from '@spectest/contracts';

/** Two operations of a small pet store, as the enhancer's caller hands them over. */
export const GET_PET: Endpoint = {
  key: 'GET /pets/{petId}',
  method: 'get',
  path: '/pets/{petId}',
  operationId: 'getPet',
  summary: 'Get one pet',
  tags: ['pets'],
  group: 'pets',
};

export const CREATE_PET: Endpoint = {
  key: 'POST /pets',
  method: 'post',
  path: '/pets',
  operationId: 'createPet',
  summary: 'Create a pet',
  tags: ['pets'],
  group: 'pets',
};

const PET = { type: 'object', required: ['name'], properties: { id: { type: 'integer' }, name: { type: 'string' } } };

export const OPERATIONS: Record<string, object> = {
  [GET_PET.key]: {
    summary: 'Get one pet',
    parameters: [
      { name: 'petId', in: 'path', required: true, schema: { type: 'integer' } },
      { name: 'verbose', in: 'query', schema: { type: 'boolean' } },
      { name: 'X-Trace', in: 'header', schema: { type: 'string' } },
    ],
    responses: {
      '200': { description: 'the pet', content: { 'application/json': { schema: PET } } },
      '404': { description: 'no such pet' },
      '4XX': { description: 'client error', content: { 'application/problem+json': { schema: { type: 'object' } } } },
    },
  },
  [CREATE_PET.key]: {
    summary: 'Create a pet',
    requestBody: { required: true, content: { 'application/json': { schema: PET } } },
    responses: { '201': { description: 'created', content: { 'application/json': { schema: PET } } }, '400': { description: 'bad input' } },
  },
};

export const FOUNDATION: TestCase[] = [
  {
    id: 'f-1',
    endpoint: GET_PET.key,
    group: 'pets',
    source: 'foundation',
    kind: 'positive',
    title: 'GET /pets/{petId} positive',
    reason: 'documented success',
    request: { method: 'get', path: '/pets/{petId}', pathParams: { petId: 1 }, query: {}, headers: {}, contentType: null },
    expect: { status: 200, statusClass: '2xx', responseSchema: PET },
  },
];
