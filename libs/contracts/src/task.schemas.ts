import { z } from 'zod';
import { EVENT_TYPES, STAGES, STAGE_STATUSES, TASK_STATUSES } from './stages';
import { ERROR_CODES } from './errors';

export const StageSchema = z.enum(STAGES);
export const TaskStatusSchema = z.enum(TASK_STATUSES);
export const StageStatusSchema = z.enum(STAGE_STATUSES);
export const EventTypeSchema = z.enum(EVENT_TYPES);
export type EventType = z.infer<typeof EventTypeSchema>;

/** `options` of POST /v1/tasks (API.md). Unknown keys are refused so typos do not pass silently. */
export const TaskOptionsSchema = z
  .object({
    ai: z
      .object({
        provider: z.enum(['none', 'ollama', 'openai']).default('none'),
        model: z.string().min(1).max(200).optional(),
        maxCasesPerEndpoint: z.number().int().min(1).max(50).optional(),
      })
      .strict()
      .optional(),
    formats: z.array(z.enum(['node-test', 'postman'])).min(1).optional(),
    include: z
      .object({
        tags: z.array(z.string().max(200)).max(500).optional(),
        paths: z.array(z.string().max(2000)).max(2000).optional(),
      })
      .strict()
      .optional(),
    timeoutSeconds: z.number().int().min(1).max(86400).optional(),
  })
  .strict();
export type TaskOptions = z.infer<typeof TaskOptionsSchema>;

export const TokensSchema = z.object({
  prompt: z.number().int().nonnegative(),
  completion: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
  perSecond: z.number().nonnegative(),
});
export type Tokens = z.infer<typeof TokensSchema>;

export const TaskErrorSchema = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  details: z.array(z.unknown()).optional(),
});
export type TaskError = z.infer<typeof TaskErrorSchema>;

export const TaskResultSchema = z.object({
  caseCount: z.number().int().nonnegative(),
  foundationCaseCount: z.number().int().nonnegative(),
  aiCaseCount: z.number().int().nonnegative(),
  artifact: z.object({ url: z.string(), bytes: z.number().int().nonnegative(), sha256: z.string() }),
});
export type TaskResult = z.infer<typeof TaskResultSchema>;

export const StageInfoSchema = z.object({
  name: StageSchema,
  status: StageStatusSchema,
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  durationMs: z.number().int().nonnegative().nullable(),
});
export type StageInfo = z.infer<typeof StageInfoSchema>;

const MessageParamsSchema = z.record(z.string(), z.union([z.string(), z.number()]));

/** The event of API.md: the same JSON on Socket.IO, SSE and NATS. */
export const TaskEventSchema = z.object({
  taskId: z.string(),
  seq: z.number().int().positive(),
  type: EventTypeSchema,
  status: TaskStatusSchema,
  stage: StageSchema.nullable(),
  stageProgress: z.number().min(0).max(1),
  progress: z.number().min(0).max(100),
  message: z.string(),
  messageKey: z.string(),
  messageParams: MessageParamsSchema,
  timestamp: z.string(),
  endpointCount: z.number().int().nonnegative().nullable(),
  currentEndpoint: z.number().int().nonnegative().nullable(),
  endpoint: z.string().nullable(),
  tokens: TokensSchema,
  etaMs: z.number().int().nonnegative().nullable(),
  elapsedMs: z.number().int().nonnegative(),
  result: TaskResultSchema.optional(),
  error: TaskErrorSchema.optional(),
});
export type TaskEvent = z.infer<typeof TaskEventSchema>;

/** The snapshot of API.md: where a task stands now. */
export const TaskSnapshotSchema = z.object({
  taskId: z.string(),
  name: z.string(),
  tenant: z.string(),
  status: TaskStatusSchema,
  stage: StageSchema.nullable(),
  progress: z.number().min(0).max(100),
  message: z.string(),
  messageKey: z.string(),
  messageParams: MessageParamsSchema,
  seq: z.number().int().nonnegative(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  endpointCount: z.number().int().nonnegative().nullable(),
  currentEndpoint: z.number().int().nonnegative().nullable(),
  stages: z.array(StageInfoSchema),
  tokens: TokensSchema,
  etaMs: z.number().int().nonnegative().nullable(),
  elapsedMs: z.number().int().nonnegative(),
  result: TaskResultSchema.nullable(),
  error: TaskErrorSchema.nullable(),
  warnings: z.array(z.string()),
});
export type TaskSnapshot = z.infer<typeof TaskSnapshotSchema>;

export const ZERO_TOKENS: Tokens = Object.freeze({ prompt: 0, completion: 0, total: 0, perSecond: 0 });
