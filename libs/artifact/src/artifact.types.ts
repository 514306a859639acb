import { TestCase } from '@spectest/contracts';

export type ArtifactFormat = 'node-test' | 'postman';
export const ARTIFACT_FORMATS: readonly ArtifactFormat[] = ['node-test', 'postman'];

export interface ArtifactReport {
  warnings: string[];
  stageTimings: { stage: string; durationMs: number }[];
  model?: string | null;
  tokens?: { prompt: number; completion: number; total: number };
  /** How far the ETAs given at 25/50/75% of the enhancing stage were from the truth, in ms (null: not measured). */
  etaError?: { at25: number | null; at50: number | null; at75: number | null; meanAbs: number | null };
}

/** Everything the packaging stage needs; no clock or random input, so the output is reproducible. */
export interface ArtifactInput {
  title: string;
  version: string;
  document: unknown;
  cases: TestCase[];
  /** Which runnable formats to include; default both. */
  formats?: ArtifactFormat[];
  report: ArtifactReport;
}

export interface ArtifactFile {
  /** POSIX path inside the ZIP. */
  path: string;
  content: string;
}

/**
 * A file of the artifact whose text is produced only when the ZIP reaches it, and let go once written,
 * so a big spec never holds every file at once. `content` is called once per ZIP; it returns the whole
 * text or its pieces in order (their concatenation is the file).
 */
export interface ArtifactEntry {
  /** POSIX path inside the ZIP. */
  path: string;
  content: () => string | Iterable<string>;
  /** The same text in one string, where that is cheaper than joining the pieces (JSON.stringify is native). */
  text?: () => string;
}
