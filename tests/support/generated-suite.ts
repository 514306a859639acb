import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as yauzl from 'yauzl';

/** Runs and unpacks the node:test project of a generated ZIP, for tests that prove the ZIP works. */
export interface NodeTestRun {
  exitCode: number | null;
  pass: number;
  fail: number;
  output: string;
}

/** Runs `node --test` in a generated tests/ folder; links its dependencies first when it has none (see linkDependencies). */
export async function runNodeTest(
  cwd: string,
  baseUrl: string | undefined,
  extraArgs: string[] = [],
  extraEnv: Record<string, string> = {},
): Promise<NodeTestRun> {
  if (!existsSync(join(cwd, 'node_modules'))) await linkDependencies(cwd);
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  delete env.NODE_OPTIONS;
  delete env.BASE_URL;
  if (baseUrl) env.BASE_URL = baseUrl;
  Object.assign(env, extraEnv);
  return new Promise((resolve, reject) => {
    // Asynchronous on purpose: the server under test lives in this process and must keep answering.
    // TAP on stdout is what the counts below read; extraArgs may add reporters with their own destinations.
    const child = spawn(process.execPath, ['--test', '--test-reporter=tap', '--test-reporter-destination=stdout', ...extraArgs], { cwd, env });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (exitCode) => {
      // TAP summary lines; a missing one gives NaN, which no assertion accepts.
      const count = (name: string) => Number(output.match(new RegExp(`^# ${name} (\\d+)$`, 'm'))?.[1] ?? NaN);
      resolve({ exitCode, pass: count('pass'), fail: count('fail'), output });
    });
  });
}

// Found from the dependency itself, so this file works compiled elsewhere (repo scripts build it into tmp/).
const REPO_NODE_MODULES = dirname(dirname(require.resolve('ajv/package.json')));

/**
 * Stands in for `npm install` in a generated tests/ folder: links the repo's node_modules, which holds
 * the same ajv and ajv-formats (root devDependencies). Instant and offline; `npm install` from the
 * registry takes seconds and needs the network, see the README.
 */
export async function linkDependencies(testsDir: string): Promise<void> {
  await symlink(REPO_NODE_MODULES, join(testsDir, 'node_modules'), 'dir');
}

/**
 * Failed tests of a TAP run, by test name, each with its TAP block (the error message with the request
 * and response the generated suite prints).
 */
export function failedTests(tapOutput: string): Map<string, string> {
  const failed = new Map<string, string>();
  const lines = tapOutput.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const match = /^not ok \d+ - (.*)$/.exec(lines[i]);
    if (!match) continue;
    const block: string[] = [];
    for (let j = i + 1; j < lines.length && /^\s/.test(lines[j]); j++) block.push(lines[j]);
    failed.set(unescapeTapName(match[1]), block.join('\n'));
  }
  return failed;
}

/** node's TAP reporter escapes backslash and # in names. */
function unescapeTapName(name: string): string {
  return name.replace(/\\#/g, '#').replace(/\\\\/g, '\\');
}

/** Unpacks a ZIP into `target`, refusing entries that would land outside it. */
export async function extractZip(zip: Buffer, target: string): Promise<void> {
  for (const [name, content] of await readZipEntries(zip)) {
    const path = join(target, name);
    if (!path.startsWith(`${target}/`)) throw new Error(`zip entry escapes the target: ${name}`);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
  }
}

/** Every entry of a ZIP, by name, in the order the ZIP lists them. */
export async function readZipEntries(zip: Buffer): Promise<Map<string, Buffer>> {
  const zipfile = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.fromBuffer(zip, { lazyEntries: true }, (error, file) => (error ? reject(error) : resolve(file!))),
  );
  const entries = new Map<string, Buffer>();
  await new Promise<void>((resolve, reject) => {
    zipfile.on('error', reject);
    zipfile.on('end', () => resolve());
    zipfile.on('entry', (entry: yauzl.Entry) => {
      zipfile.openReadStream(entry, (error, stream) => {
        if (error || !stream) return reject(error);
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('error', reject);
        stream.on('end', () => {
          entries.set(entry.fileName, Buffer.concat(chunks));
          zipfile.readEntry();
        });
      });
    });
    zipfile.readEntry();
  });
  return entries;
}
