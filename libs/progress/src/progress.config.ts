/**
 * PROGRESS_BATCH_MAX is validated with the rest of a service's config at start (commonEnvShape in
 * libs/platform); the service hands the parsed value to ProgressModule.forRoot.
 */
export { DEFAULT_PROGRESS_BATCH_MAX } from '@spectest/platform';

export interface ProgressModuleOptions {
  /** Most reports the writer commits in one transaction: the service's PROGRESS_BATCH_MAX. */
  maxBatch: number;
  /** Run the dispatch outbox here (processes that publish work: intake and the stage workers). */
  dispatchOutbox?: boolean;
}
