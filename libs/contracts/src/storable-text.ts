/** A NUL, or a UTF-16 surrogate without its pair. */
// eslint-disable-next-line no-control-regex -- the NUL is what this looks for
export const UNSTORABLE_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Whether a string holds what no text column can: a NUL (U+0000, refused by Postgres text and jsonb) or a
 * UTF-16 surrogate without its pair (not Unicode text at all). Inputs with either are refused at the edge,
 * with a code, instead of failing later in the database.
 */
export const hasUnstorableText = (value: string): boolean => UNSTORABLE_TEXT.test(value);
