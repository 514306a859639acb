import type { ProgressUpdate } from '@spectest/contracts';
import { Logger } from '@nestjs/common';
import type { DispatchStore, GenerationStore, TaskStore } from '@spectest/persistence';
import { type ProgressWriter, StageRun, type TaskDispatcher } from '@spectest/progress';
import { SpecParserConfigSchema } from './spec-parser.config';
import { SpecParserService } from './spec-parser.service';

/** Loading a big stored spec takes about a second: the parsing stage must not go silent meanwhile. */
describe('SpecParserService: loading the stored spec', () => {
  it('beats while the stored spec is being loaded, as the read step, then fails clearly when it is missing', async () => {
    const sent: ProgressUpdate[] = [];
    const writer = {
      report: async (_taskId: string, update: ProgressUpdate) => {
        sent.push(update);
        return { ok: true };
      },
    } as unknown as ProgressWriter;
    const tasks = {
      get: async () => ({ snapshot: { status: 'running', stage: 'parsing', stages: [] }, specId: 'spec-1', options: {} }),
      // A slow load (as a 47 MB spec is) that finds nothing.
      getSpecContent: () => new Promise<null>((resolve) => setTimeout(() => resolve(null), 300)),
    } as unknown as TaskStore;
    const config = SpecParserConfigSchema.parse({ PARSE_HEARTBEAT_MS: '20', DATABASE_URL: 'postgres://unused' });
    const service = new SpecParserService(tasks, {} as GenerationStore, config);
    const lease = { taskId: 'task-1', generation: 1, stage: 'parse' as const, owner: 'o-1' };

    await service.run(new StageRun(lease, writer, {} as DispatchStore, {} as TaskDispatcher, new Logger('spec')));

    const keys = sent.map((u) => `${u.messageKey}${u.messageParams?.step ? `:${String(u.messageParams.step)}` : ''}`);
    expect(keys[0]).toBe('parsing.started');
    expect(keys.at(-1)).toBe('task.failed');
    const beats = keys.slice(1, -1);
    // The read step is announced before the load, then beats until it ends.
    expect(beats.length).toBeGreaterThanOrEqual(2);
    expect(new Set(beats)).toEqual(new Set(['parsing.step:read']));
    expect(sent.at(-1)!.error).toMatchObject({ code: 'invalid_spec', message: 'the stored specification is missing' });
  });
});
