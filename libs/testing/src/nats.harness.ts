import { randomBytes } from 'node:crypto';
import { connect } from 'nats';
import { saysTest } from './test-name.guard';

export interface TestNatsConfig {
  url: string;
  /** Random subject namespace, so parallel runs and reruns never see each other's messages. */
  prefix: string;
}

/** The machine's NATS (TEST_NATS_URL, default nats://127.0.0.1:4222) under a fresh prefix. */
export function testNatsConfig(): TestNatsConfig {
  return {
    url: process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222',
    prefix: `test_${randomBytes(6).toString('hex')}`,
  };
}

/**
 * Deletes every JetStream stream whose subjects all live under `prefix` (whatever the lib named it;
 * this harness must not import libs/messaging, whose tests import it). Refuses prefixes without
 * `test` as a word.
 */
export async function deleteNatsTestStreams(url: string, prefix: string): Promise<void> {
  if (!saysTest(prefix)) throw new Error(`refusing to delete streams of non-test prefix "${prefix}"`);
  const nc = await connect({ servers: url });
  try {
    const jsm = await nc.jetstreamManager();
    for await (const stream of jsm.streams.list()) {
      const streamSubjects = stream.config.subjects ?? [];
      if (streamSubjects.length > 0 && streamSubjects.every((subject) => subject.startsWith(`${prefix}.`))) {
        await jsm.streams.delete(stream.config.name);
      }
    }
  } finally {
    await nc.close();
  }
}
