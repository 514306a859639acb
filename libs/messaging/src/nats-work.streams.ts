import { AckPolicy, DeliverPolicy, RetentionPolicy, StorageType, nanos, type JetStreamManager } from 'nats';
import type { WorkStage } from '@spectest/contracts';
import { subjects } from '@spectest/contracts';
import { WORK_DEDUP_WINDOW_MS, type ResolvedConsumeOptions } from './work.defaults';

/** JetStream names for one deployment prefix; stream and durable names cannot hold '.', '*', '>' or spaces. */
export function workStreamName(prefix: string): string {
  return `${prefix.replace(/[^A-Za-z0-9_-]/g, '_').toUpperCase()}_WORK`;
}

export function workConsumerName(stage: WorkStage): string {
  return `work-${stage}`;
}

export function prefixed(prefix: string, subject: string): string {
  return `${prefix}.${subject}`;
}

/**
 * Creates the work stream, or brings an existing one to this config. Safe when several processes
 * start at once: an identical add is a no-op on the server, a differing one becomes an update.
 */
export async function ensureWorkStream(jsm: JetStreamManager, prefix: string): Promise<void> {
  const config = {
    name: workStreamName(prefix),
    subjects: [prefixed(prefix, subjects.workAll)],
    // Work-queue retention: a message is deleted once acked (or termed), so the stream is the queue.
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    // Publishes with the same Nats-Msg-Id within this window are stored once (see PublishWorkOptions.dedupId).
    duplicate_window: nanos(WORK_DEDUP_WINDOW_MS),
  };
  try {
    await jsm.streams.add(config);
  } catch (addError) {
    try {
      await jsm.streams.update(config.name, config);
    } catch {
      throw addError;
    }
  }
}

/**
 * One durable pull consumer per stage, shared by every worker process of that stage (competing consumers).
 * No server max_deliver: the workers count attempts themselves (the delivery count), so a delivery whose
 * holder died on the last attempt still reaches a worker, which gives it up (onGiveUp), and a give-up that
 * could not be written comes back until it is. The server would instead drop the message silently.
 * No server `backoff`: it would replace ack_wait for in-flight deliveries and cut long model calls short;
 * retry delays are given per nak instead.
 */
export async function ensureWorkConsumer(
  jsm: JetStreamManager,
  prefix: string,
  stage: WorkStage,
  options: ResolvedConsumeOptions,
): Promise<void> {
  const stream = workStreamName(prefix);
  const durable = workConsumerName(stage);
  const config = {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: prefixed(prefix, subjects.work(stage)),
    ack_wait: nanos(options.ackWaitMs),
    max_deliver: -1,
  };
  try {
    await jsm.consumers.add(stream, config);
  } catch (addError) {
    try {
      await jsm.consumers.update(stream, durable, { ack_wait: config.ack_wait, max_deliver: config.max_deliver });
    } catch {
      throw addError;
    }
  }
}
