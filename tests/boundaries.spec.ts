import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');

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
    return result.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
  };

  it.each([
    ['a service importing another service', 'services/gateway/src/probe.ts', "import { IntakeModule } from '@spectest/intake';\nexport const x = IntakeModule;\n"],
    ['contracts importing one of our libs', 'libs/contracts/src/probe.ts', "import { TaskStore } from '@spectest/persistence';\nexport const x = TaskStore;\n"],
    ['a lib importing a service', 'libs/progress/src/probe.ts', "import { GatewayModule } from '@spectest/gateway';\nexport const x = GatewayModule;\n"],
  ])('refuses %s', async (_what, file, code) => {
    expect((await boundaryErrors(file, code)).length).toBeGreaterThan(0);
  });

  it.each([
    ['a service importing libs', 'services/gateway/src/probe.ts', "import { TaskStore } from '@spectest/persistence';\nimport { subjects } from '@spectest/contracts';\nexport const x = [TaskStore, subjects];\n"],
    ['the embedded app composing services', 'apps/embedded/src/probe.ts', "import { IntakeModule } from '@spectest/intake';\nexport const x = IntakeModule;\n"],
  ])('allows %s', async (_what, file, code) => {
    expect(await boundaryErrors(file, code)).toEqual([]);
  });
});
