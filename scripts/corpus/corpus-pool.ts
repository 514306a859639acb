import { ChildProcess, fork } from 'node:child_process';
import type { WorkerAnswer } from './corpus-worker';

export interface SpecResult {
  id: string;
  file: string;
  bytes: number;
  status: 'completed' | 'failed' | 'crashed' | 'timed_out';
  code?: string;
  message?: string;
  endpoints?: number;
  cases?: number;
  warnings?: number;
  ms: number;
  steps?: Record<string, number>;
  peakRssMiB?: number;
}

export interface PoolOptions {
  workerScript: string;
  workers: number;
  timeoutMs: number;
  execArgv: string[];
  onResult: (result: SpecResult, done: number, total: number) => void;
}

interface Job {
  id: string;
  file: string;
  bytes: number;
}

/**
 * Runs jobs over `workers` child processes, one job per child at a time. A child that does not answer
 * within the time limit is killed (SIGKILL: a busy event loop never sees a gentler signal) and replaced;
 * a child that dies mid-job marks that job crashed. Nothing a spec does can stop the run.
 */
export function runPool(jobs: Job[], options: PoolOptions): Promise<SpecResult[]> {
  const results: SpecResult[] = [];
  let next = 0;
  return new Promise((resolveAll) => {
    let running = 0;
    const startSlot = (): void => {
      if (next >= jobs.length) {
        if (running === 0) resolveAll(results);
        return;
      }
      running++;
      const child = fork(options.workerScript, [], { execArgv: options.execArgv, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
      feed(child, () => stderr);
    };
    const finish = (result: SpecResult): void => {
      results.push(result);
      options.onResult(result, results.length, jobs.length);
    };
    const feed = (child: ChildProcess, stderrTail: () => string): void => {
      if (next >= jobs.length) {
        child.disconnect();
        running--;
        if (running === 0) resolveAll(results);
        return;
      }
      const job = jobs[next++];
      const started = performance.now();
      let settled = false;
      const settle = (result: SpecResult | null, replace: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        child.removeAllListeners('message');
        child.removeAllListeners('exit');
        if (result) finish(result);
        if (replace) {
          child.kill('SIGKILL');
          running--;
          startSlot();
        } else {
          feed(child, stderrTail);
        }
      };
      const timer = setTimeout(() => {
        settle({ ...job, status: 'timed_out', message: `no answer within ${options.timeoutMs} ms`, ms: options.timeoutMs }, true);
      }, options.timeoutMs);
      child.on('message', (answer: WorkerAnswer) => {
        const { outcome } = answer;
        settle({ ...job, ...outcome, ms: answer.ms, peakRssMiB: answer.peakRssMiB }, false);
      });
      child.on('exit', (code, signal) => {
        const ms = Math.round(performance.now() - started);
        const tail = stderrTail().trim().split('\n').slice(-3).join(' | ');
        settle({ ...job, status: 'crashed', code: 'process_exit', message: `worker exited (code ${code}, signal ${signal}) ${tail}`, ms }, true);
      });
      child.send({ file: job.file });
    };
    for (let i = 0; i < Math.min(options.workers, jobs.length); i++) startSlot();
    if (jobs.length === 0) resolveAll(results);
  });
}
