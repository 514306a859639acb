import { isBlank } from './submit-task.request';

describe('isBlank', () => {
  it('is true for whitespace only, however long, and false for any text, however far in', () => {
    expect(isBlank(Buffer.alloc(0))).toBe(true);
    expect(isBlank(Buffer.from('\uFEFF \n\t\r\n'))).toBe(true);
    expect(isBlank(Buffer.alloc(300_000, ' \n'))).toBe(true);
    expect(isBlank(Buffer.concat([Buffer.alloc(300_000, ' '), Buffer.from('openapi: 3.0.3')]))).toBe(false);
    expect(isBlank(Buffer.from('{}'))).toBe(false);
  });
});
