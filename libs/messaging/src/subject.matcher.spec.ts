import { assertValidSubject, subjectMatches } from './subject.matcher';

describe('subjectMatches (NATS rules)', () => {
  it.each([
    ['task.a.events', 'task.a.events', true],
    ['task.*.events', 'task.a.events', true],
    ['task.*.events', 'task.a.b.events', false],
    ['task.*', 'task', false],
    ['task.>', 'task.a.events', true],
    ['task.>', 'task', false],
    ['>', 'task.a', true],
    ['task.a', 'task.a.events', false],
    ['task.a.events', 'task.a', false],
  ])('%s vs %s -> %s', (pattern, subject, expected) => {
    expect(subjectMatches(pattern, subject)).toBe(expected);
  });

  it('rejects subjects the server would reject', () => {
    expect(() => assertValidSubject('task..events', true)).toThrow();
    expect(() => assertValidSubject('task.>.events', true)).toThrow();
    expect(() => assertValidSubject('task.*.events', false)).toThrow();
    expect(() => assertValidSubject('task a', true)).toThrow();
    expect(() => assertValidSubject('task.*.events', true)).not.toThrow();
  });
});
