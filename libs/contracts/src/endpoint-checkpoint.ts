import type { TestCase } from './cases.schemas';

/**
 * What the enhancing stage keeps of one endpoint once its model call ended (answered, failed or skipped):
 * written by the enhancement core, stored per endpoint so a redelivered stage resumes after it.
 */
export interface EndpointCheckpoint {
  /** Position of the endpoint in the task's endpoint list. */
  index: number;
  endpoint: string;
  /** The AI cases it added (none when it fell back to the foundation cases). */
  cases: TestCase[];
  /** The fallback warning, when it fell back. */
  warning: string | null;
  /** Whether the model answered (for the model's timing history). */
  answered: boolean;
  promptTokens: number;
  completionTokens: number;
  durationMs: number;
}
