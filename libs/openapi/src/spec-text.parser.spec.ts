import { AppError } from '@spectest/contracts';
import { stringify } from 'yaml';
import { DEFAULT_SPEC_LIMITS } from './spec-limits';
import { parseSpecInput } from './spec-text.parser';

function refusal(input: string, limits = DEFAULT_SPEC_LIMITS): AppError {
  try {
    parseSpecInput(input, limits);
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected parseSpecInput to refuse the input');
}

const head = 'openapi: 3.0.3\ninfo: { title: deep, version: "1" }\npaths: {}\n';
const levels = 20_000;

describe('parseSpecInput: YAML nesting', () => {
  it.each([
    ['flow sequences', head + 'x-deep: ' + '['.repeat(levels) + ']'.repeat(levels) + '\n'],
    ['flow mappings', head + 'x-deep: ' + '{a: '.repeat(levels) + '1' + '}'.repeat(levels) + '\n'],
    ['compact block sequences', head + 'x-deep:\n' + '- '.repeat(levels) + '1\n'],
    ['indented block mappings', head + 'x-deep:\n' + Array.from({ length: 3_000 }, (_, i) => ' '.repeat(i + 1) + 'a:').join('\n') + ' 1\n'],
  ])('refuses %s nested thousands deep as spec_too_deep, not as a parse error', (_name, text) => {
    const error = refusal(text);
    expect({ code: error.code, message: error.message }).toEqual({
      code: 'spec_too_deep',
      message: `The spec nests deeper than ${DEFAULT_SPEC_LIMITS.maxDepth} levels.`,
    });
  });

  it('counts levels as the JSON guard does: maxDepth levels below the root pass, one more does not', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 9; i++) deep = { d: deep };
    const text = stringify({ openapi: '3.0.3', deep });
    // The root is level 0, `deep` level 1, its innermost mapping level 9.
    for (const input of [text, JSON.stringify({ openapi: '3.0.3', deep })]) {
      expect(parseSpecInput(input, { ...DEFAULT_SPEC_LIMITS, maxDepth: 9 })).toMatchObject({ openapi: '3.0.3' });
      expect(refusal(input, { ...DEFAULT_SPEC_LIMITS, maxDepth: 8 }).code).toBe('spec_too_deep');
    }
  });

  it('still reads YAML with anchors, merge keys and complex keys', () => {
    const text = ['openapi: 3.0.3', 'base: &b { a: 1 }', 'merged: { <<: *b, c: 2 }', '? [k]', ': v'].join('\n');
    expect(parseSpecInput(text, DEFAULT_SPEC_LIMITS)).toMatchObject({ merged: { a: 1, c: 2 } });
  });

  it('names the line and column of a YAML error, and refuses several documents', () => {
    const error = refusal('openapi: 3.0.3\ninfo:\n  title: A\n   version: 1\n');
    expect(error.code).toBe('invalid_spec');
    expect(error.message).toMatch(/at line 3, column \d+: title: A$/);
    expect((error.details as { line: number }[])[0]).toMatchObject({ line: 3 });
    expect(refusal('openapi: 3.0.3\n---\nopenapi: 3.1.0\n').message).toContain('multiple documents');
  });
});
