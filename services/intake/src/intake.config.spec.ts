import { parseConfig } from '@spectest/platform';
import { SpecParserConfigSchema } from '@spectest/spec-parser';
import { IntakeConfigSchema } from './intake.config';

const env = { DATABASE_URL: 'postgres://localhost/x', AUTH_JWT_SECRET: 'a-secret-of-sixteen+' };

describe('IntakeConfigSchema', () => {
  it('refuses at submission no spec object the parsing stage would take: SPEC_MAX_DEPTH has the same default in both', () => {
    expect(parseConfig(IntakeConfigSchema, env).SPEC_MAX_DEPTH).toBe(parseConfig(SpecParserConfigSchema, env).SPEC_MAX_DEPTH);
    expect(parseConfig(IntakeConfigSchema, { ...env, SPEC_MAX_DEPTH: '50' }).SPEC_MAX_DEPTH).toBe(50);
  });

  it('names the variable of a bad limit', () => {
    expect(() => parseConfig(IntakeConfigSchema, { ...env, MAX_INFLATE_RATIO: '1' })).toThrow(/MAX_INFLATE_RATIO/);
    expect(() => parseConfig(IntakeConfigSchema, { ...env, UPLOAD_MEMORY_BYTES: 'lots' })).toThrow(/UPLOAD_MEMORY_BYTES/);
  });
});
