import { PoisonMessageError } from './messaging.types';
import { InvalidWorkMessageError, parseWorkMessage } from './work-message';

describe('parseWorkMessage', () => {
  const taskId = '0b7c7a0e-8f1f-4c55-9a43-1d5f1b3c2e11';

  it('returns the message of a well-formed payload; one of an earlier version is generation 1', () => {
    expect(parseWorkMessage('parse', { taskId, generation: 3 })).toEqual({ taskId, generation: 3 });
    expect(parseWorkMessage('parse', { taskId })).toEqual({ taskId, generation: 1 });
  });

  it.each([null, 'x', {}, { taskId: 'not-a-uuid' }])('makes %p poison, naming the subject', (payload) => {
    expect(() => parseWorkMessage('enhance', payload)).toThrow(PoisonMessageError);
    expect(() => parseWorkMessage('enhance', payload)).toThrow(/work\.enhance/);
  });

  it('names the task of a malformed message that has one, so it can be failed at once', () => {
    const error = (() => {
      try {
        parseWorkMessage('parse', { taskId, generation: 'two' });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidWorkMessageError);
    expect(error).toMatchObject({ taskId, code: 'invalid_work_message' });
    expect(() => parseWorkMessage('parse', { generation: 1 })).toThrow(expect.objectContaining({ taskId: null }));
  });
});
