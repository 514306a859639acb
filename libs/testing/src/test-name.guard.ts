/**
 * True when `name` has `test` as a whole `_`/`-` separated word: `spectest_test_1a2b` or `test_1a2b`.
 * A substring check is not enough: the product itself is called "spectest".
 */
export function saysTest(name: string): boolean {
  return name.toLowerCase().split(/[_-]/).includes('test');
}
