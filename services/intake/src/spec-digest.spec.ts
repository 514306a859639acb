import { countingLoopTurns } from '@spectest/testing';
import { createHash } from 'node:crypto';
import { DIGEST_CHUNK_BYTES, specDigests } from './spec-digest';

const sha256 = (...parts: (Uint8Array | string)[]) => parts.reduce((h, p) => h.update(p), createHash('sha256')).digest('hex');

describe('specDigests', () => {
  it('gives the hash of the spec and of the spec followed by the suffix, across chunk boundaries', async () => {
    for (const size of [0, 1, DIGEST_CHUNK_BYTES, DIGEST_CHUNK_BYTES + 1, 3 * DIGEST_CHUNK_BYTES - 7]) {
      const bytes = Buffer.alloc(size, 'openapi: 3.0.3\n');
      expect(await specDigests(bytes, '{"name":"a"}')).toEqual({ spec: sha256(bytes), request: sha256(bytes, '{"name":"a"}') });
    }
  });

  it('lets the event loop run between chunks of a big spec', async () => {
    const bytes = Buffer.alloc(8 * DIGEST_CHUNK_BYTES, 'x');
    const { turns } = await countingLoopTurns(() => specDigests(bytes, ''));
    expect(turns).toBeGreaterThanOrEqual(7);
  });
});
