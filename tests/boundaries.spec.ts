import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');

// The rules that enforce boundaries: which projects may import which, and what the pure libs may touch.
const BOUNDARY_RULES = new Set(['@nx/enforce-module-boundaries', 'no-restricted-imports', 'no-restricted-globals']);

/** The module boundaries are enforced by lint, not by good intentions: each forbidden import is reported. */
describe('module boundaries', () => {
  beforeAll(() => {
    // The Nx rule reads the project graph; make sure it exists, as `npm run lint` does.
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'nx', 'dist', 'bin', 'nx.js'), 'show', 'projects'], { cwd: ROOT, env: { ...process.env, NX_DAEMON: 'false' }, stdio: 'ignore' });
  }, 60_000);

  // The CLI, not the ESLint class: its flat config is an ES module, which jest's sandbox cannot import.
  const boundaryErrors = async (file: string, code: string): Promise<string[]> => {
    let out: string;
    try {
      out = execFileSync(process.execPath, [join(ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js'), '--format', 'json', '--stdin', '--stdin-filename', join(ROOT, file)], {
        cwd: ROOT,
        input: code,
        encoding: 'utf8',
      });
    } catch (err) {
      out = (err as { stdout: string }).stdout; // exit 1 when there are errors
      if (!out) throw new Error(`eslint failed: ${(err as { stderr: string }).stderr}`);
    }
    const [result] = JSON.parse(out) as { messages: { ruleId: string | null; message: string }[] }[];
    return result.messages.filter((m) => m.ruleId !== null && BOUNDARY_RULES.has(m.ruleId)).map((m) => m.message);
  };

  it.each([
    ['a service importing another service', 'services/gateway/src/probe.ts', "import { IntakeModule } from '@spectest/intake';\nexport const x = IntakeModule;\n"],
    ['contracts importing one of our libs', 'libs/contracts/src/probe.ts', "import { TaskStore } from '@spectest/persistence';\nexport const x = TaskStore;\n"],
    ['a lib importing a service', 'libs/progress/src/probe.ts', "import { GatewayModule } from '@spectest/gateway';\nexport const x = GatewayModule;\n"],
  ])('refuses %s', async (_what, file, code) => {
    expect((await boundaryErrors(file, code)).length).toBeGreaterThan(0);
  });

  // Each refused by the rule meant for it: the tag constraint for our libs, the I/O ban for the rest.
  const pureOnly = /tagged with "type:pure" can only depend on libs tagged with "type:pure", "type:contracts"/;
  const noIo = /pure lib .* does no I\/O/;
  it.each([
    ['persistence', 'libs/cases/src/probe.ts', "import { GenerationStore } from '@spectest/persistence';\nexport const x = GenerationStore;\n", pureOnly],
    ['the platform lib', 'libs/openapi/src/probe.ts', "import { metrics } from '@spectest/platform';\nexport const x = metrics;\n", pureOnly],
    ['a file (node:fs/promises)', 'libs/artifact/src/probe.ts', "import { readFile } from 'node:fs/promises';\nexport const x = readFile;\n", noIo],
    ['a file (fs)', 'libs/openapi/src/probe.ts', "import * as fs from 'fs';\nexport const x = fs;\n", noIo],
    ['a process', 'libs/cases/src/probe.ts', "import { spawn } from 'node:child_process';\nexport const x = spawn;\n", noIo],
    ['a server', 'libs/artifact/src/probe.ts', "import { createServer } from 'node:http';\nexport const x = createServer;\n", noIo],
    ['a database driver', 'libs/cases/src/probe.ts', "import { Client } from 'pg';\nexport const x = Client;\n", noIo],
    ['NestJS', 'libs/openapi/src/probe.ts', "import { Injectable } from '@nestjs/common';\nexport const x = Injectable;\n", noIo],
    ['fetch', 'libs/artifact/src/probe.ts', "export const x = () => fetch('http://example.test');\n", noIo],
  ])('refuses a pure lib touching %s', async (_what, file, code, rule) => {
    expect(await boundaryErrors(file, code)).toEqual([expect.stringMatching(rule)]);
  });

  it.each([
    ['a service importing libs', 'services/gateway/src/probe.ts', "import { TaskStore } from '@spectest/persistence';\nimport { subjects } from '@spectest/contracts';\nexport const x = [TaskStore, subjects];\n"],
    ['the embedded app composing services', 'apps/embedded/src/probe.ts', "import { IntakeModule } from '@spectest/intake';\nexport const x = IntakeModule;\n"],
    ['a pure lib importing contracts and pure libs', 'libs/artifact/src/probe.ts', "import { AppError } from '@spectest/contracts';\nimport { readSpec } from '@spectest/openapi';\nimport { buildFoundationCases } from '@spectest/cases';\nexport const x = [AppError, readSpec, buildFoundationCases];\n"],
    ["a pure lib reading node:http's status texts", 'libs/cases/src/probe.ts', "import { STATUS_CODES } from 'node:http';\nexport const x = STATUS_CODES;\n"],
    ['a service importing pure libs', 'services/packager/src/probe.ts', "import { artifactEntries } from '@spectest/artifact';\nexport const x = artifactEntries;\n"],
  ])('allows %s', async (_what, file, code) => {
    expect(await boundaryErrors(file, code)).toEqual([]);
  });
});
