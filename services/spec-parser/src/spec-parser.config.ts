import { commonEnvShape, envInt } from '@spectest/platform';
import { DEFAULT_SPEC_LIMITS } from '@spectest/openapi';
import { z } from 'zod';

export const specParserEnvShape = {
  SPEC_MAX_BYTES: envInt(DEFAULT_SPEC_LIMITS.maxBytes, 1),
  SPEC_MAX_DEPTH: envInt(DEFAULT_SPEC_LIMITS.maxDepth, 1),
  SPEC_MAX_ALIASES: envInt(DEFAULT_SPEC_LIMITS.maxAliases, 0),
  SPEC_MAX_OPERATIONS: envInt(DEFAULT_SPEC_LIMITS.maxOperations, 1),
  SPEC_MAX_SCHEMA_NESTING: envInt(DEFAULT_SPEC_LIMITS.maxSchemaNesting, 1),
  SPEC_MAX_EXPANDED_NODES: envInt(DEFAULT_SPEC_LIMITS.maxExpandedNodes, 1),
  SPEC_MAX_EXPANDED_BYTES: envInt(DEFAULT_SPEC_LIMITS.maxExpandedBytes, 1),
  /** While one parsing sub-step runs, a progress event this often (0: only at step boundaries). */
  PARSE_HEARTBEAT_MS: envInt(500, 0),
};

export const SpecParserConfigSchema = z.object({ ...commonEnvShape, ...specParserEnvShape, PORT: envInt(3002, 0, 65535) });
export type SpecParserConfig = z.infer<typeof SpecParserConfigSchema>;

export const SPEC_PARSER_CONFIG = Symbol('SPEC_PARSER_CONFIG');
