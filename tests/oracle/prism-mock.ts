import { ChildProcess, spawn } from 'node:child_process';
import { freePort } from '@spectest/testing';

/** Prism's CLI, run with this Node rather than through npx, so no shell or registry is involved. */
const PRISM_CLI = require.resolve('@stoplight/prism-cli/dist/index.js');
const LOG_LIMIT = 64 * 1024;

export interface PrismMock {
  url: string;
  /** The last 64 KiB of Prism's log (each request it judged, with its violations). */
  log(): string;
  close(): Promise<void>;
}

/**
 * Prism in mock mode on `specPath`: requests are validated against the spec and checked for credentials
 * (always on in mock mode), invalid ones get a 4xx, valid ones a static answer (documented example, else
 * one built from the schema; `--dynamic` off so every run answers the same).
 */
export async function startPrismMock(specPath: string): Promise<PrismMock> {
  const port = await freePort();
  const child = spawn(process.execPath, [PRISM_CLI, 'mock', specPath, '--host', '127.0.0.1', '--port', String(port), '--dynamic=false', '--cors=false'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  let log = '';
  const append = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-LOG_LIMIT);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error('Prism did not start listening within 30 s')), 30_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${error.message}\n${log}`));
    };
    child.once('exit', (code) => fail(new Error(`Prism exited with ${code} before listening`)));
    child.stdout!.on('data', () => {
      if (!log.includes('Prism is listening on')) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve();
    });
  });
  return { url: `http://127.0.0.1:${port}`, log: () => log, close: () => stop(child) };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
