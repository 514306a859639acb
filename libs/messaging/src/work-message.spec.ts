import { PoisonMessageError } from './messaging.types';
import { parseWorkMessage } from './work-message';

describe('parseWorkMessage', () => {
  it('returns the message of a well-formed payload', () => {
    const taskId = '0b7c7a0e-8f1f-4c55-9a43-1d5f1b3c2e11';
    expect(parseWorkMessage('parse', { taskId })).toEqual({ taskId });
  });

  it.each([null, 'x', {}, { taskId: 'not-a-uuid' }])('makes %p poison, naming the subject', (payload) => {
    expect(() => parseWorkMessage('enhance', payload)).toThrow(PoisonMessageError);
    expect(() => parseWorkMessage('enhance', payload)).toThrow(/work\.enhance/);
  });
});
