import { TaskEvent, isTerminalEvent } from '@spectest/contracts';
import { SocketOutbox } from './socket-outbox';

const ev = (taskId: string, seq: number, stage: TaskEvent['stage'], type: TaskEvent['type'] = 'progress'): TaskEvent =>
  ({ taskId, seq, type, stage, status: isTerminalEvent({ type }) ? type : 'running' }) as TaskEvent;

/** A sink whose "socket" is backed up while `blocked` is true. */
function sink() {
  const sent: TaskEvent[] = [];
  const s = { blocked: false, room: Infinity, sent };
  return {
    s,
    outbox: new SocketOutbox({
      backedUp: () => s.blocked || s.room <= 0,
      send: (e) => {
        s.room--;
        sent.push(e);
      },
    }),
  };
}
const seqs = (events: TaskEvent[], taskId = 'a') => events.filter((e) => e.taskId === taskId).map((e) => e.seq);

describe('SocketOutbox (slow-consumer guard of one socket)', () => {
  it('sends straight through while the socket keeps up', () => {
    const { s, outbox } = sink();
    for (let i = 1; i <= 5; i++) outbox.push(ev('a', i, 'parsing'));
    expect(seqs(s.sent)).toEqual([1, 2, 3, 4, 5]);
    expect(outbox.pendingEvents).toBe(0);
  });

  it('keeps only the latest progress per task while backed up, but never the first of a stage nor the terminal event', () => {
    const { s, outbox } = sink();
    outbox.push(ev('a', 1, 'parsing'));
    s.blocked = true;
    for (let i = 2; i <= 100; i++) outbox.push(ev('a', i, 'parsing'));
    outbox.push(ev('a', 101, 'foundation'));
    for (let i = 102; i <= 200; i++) outbox.push(ev('a', i, 'foundation'));
    outbox.push(ev('a', 201, 'enhancing'));
    outbox.push(ev('a', 202, 'enhancing'));
    outbox.push(ev('a', 203, 'packaging', 'completed'));
    // 2..100 -> 100; 101 first of foundation; 102..200 -> 200; 201 first of enhancing; 202; 203 terminal.
    expect(outbox.pendingEvents).toBe(6);
    expect(outbox.coalesced).toBe(98 + 98);
    s.blocked = false;
    outbox.flush();
    expect(seqs(s.sent)).toEqual([1, 100, 101, 200, 201, 202, 203]);
    expect(outbox.pendingEvents).toBe(0);
  });

  it('bounds what waits whatever the event rate (memory does not grow with the backlog)', () => {
    const { s, outbox } = sink();
    s.blocked = true;
    for (let i = 1; i <= 100_000; i++) outbox.push(ev('a', i, 'enhancing'));
    for (let i = 1; i <= 100_000; i++) outbox.push(ev('b', i, 'enhancing'));
    // First of the stage, then the latest: two per task.
    expect(outbox.pendingEvents).toBe(4);
  });

  it('keeps per-task seq order, sends while there is room and goes on at the next drain', () => {
    const { s, outbox } = sink();
    s.blocked = true;
    outbox.push(ev('a', 1, 'parsing'));
    outbox.push(ev('b', 1, 'parsing'));
    outbox.push(ev('a', 2, 'foundation'));
    outbox.push(ev('b', 2, 'foundation'));
    s.blocked = false;
    s.room = 3;
    outbox.flush();
    expect(s.sent.length).toBe(3);
    // While something waits, a new event queues behind it instead of overtaking.
    s.room = 0;
    outbox.push(ev('b', 3, 'packaging', 'failed'));
    expect(outbox.pendingEvents).toBe(2);
    s.room = Infinity;
    outbox.flush();
    expect(seqs(s.sent, 'a')).toEqual([1, 2]);
    expect(seqs(s.sent, 'b')).toEqual([1, 2, 3]);
  });

  it('forgets what waits for a task that is unsubscribed or resubscribed', () => {
    const { s, outbox } = sink();
    s.blocked = true;
    outbox.push(ev('a', 1, 'parsing'));
    outbox.push(ev('b', 1, 'parsing'));
    outbox.forget('a');
    s.blocked = false;
    outbox.flush();
    expect(s.sent.map((e) => e.taskId)).toEqual(['b']);
  });

  it('whenClear resolves at the flush that leaves the socket clear, not before; close wakes a waiter', async () => {
    const { s, outbox } = sink();
    expect(outbox.clear).toBe(true);
    await outbox.whenClear();
    s.blocked = true;
    outbox.push(ev('a', 1, 'parsing'));
    let woken = 0;
    void outbox.whenClear().then(() => woken++);
    outbox.flush();
    await Promise.resolve();
    expect(woken).toBe(0);
    s.blocked = false;
    outbox.flush();
    await Promise.resolve();
    expect([woken, seqs(s.sent)]).toEqual([1, [1]]);
    s.blocked = true;
    void outbox.whenClear().then(() => woken++);
    outbox.close();
    await Promise.resolve();
    expect(woken).toBe(2);
  });
});
