import { TokenProgress } from './model-provider';

/** Live, approximate counting: one streamed chunk with content is one token. */
export class TokenMeter {
  count = 0;
  private firstAt: number | null = null;
  private lastAt: number | null = null;

  constructor(private readonly onTokens: (p: TokenProgress) => void) {}

  chunk(): void {
    const now = performance.now();
    this.firstAt ??= now;
    this.lastAt = now;
    this.count += 1;
    this.onTokens({ completion: this.count, perSecond: this.perSecond() });
  }

  perSecond(): number {
    if (this.firstAt === null || this.lastAt === null || this.lastAt <= this.firstAt) return 0;
    return (this.count - 1) / ((this.lastAt - this.firstAt) / 1000);
  }

  /** First to last token, the fallback when the server reports no generation time. */
  elapsedMs(): number {
    return this.firstAt === null || this.lastAt === null ? 0 : Math.round(this.lastAt - this.firstAt);
  }
}

/** ~4 characters a token: only used when the server gives no count. */
export const estimateTokens = (...texts: string[]): number => Math.ceil(texts.reduce((n, t) => n + t.length, 0) / 4);

export const countOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null);
