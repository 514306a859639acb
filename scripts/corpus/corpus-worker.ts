import { readFileSync } from 'node:fs';
import { stopSpecValidator } from '@spectest/openapi';
import { processSpec } from './process-spec';

/** A child process of the corpus runner: one spec at a time, so a hang or a crash costs one child, not the run. */
export interface WorkerRequest {
  file: string;
}
export interface WorkerAnswer {
  file: string;
  outcome: Awaited<ReturnType<typeof processSpec>>;
  ms: number;
  /** process.resourceUsage().maxRSS, in MiB: the peak of this child so far (the validator thread included). */
  peakRssMiB: number;
}

process.on('message', (request: WorkerRequest) => {
  void (async () => {
    const started = performance.now();
    const outcome = await processSpec(readFileSync(request.file));
    const answer: WorkerAnswer = {
      file: request.file,
      outcome,
      ms: Math.round(performance.now() - started),
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    };
    process.send!(answer);
  })();
});

process.on('disconnect', () => void stopSpecValidator().finally(() => process.exit(0)));
