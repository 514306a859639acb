// The generated project's runtime is real files in templates/, beside src/ and dist/: reading them is the
// one I/O of this package, and the package ships that folder (package.json "files").
// eslint-disable-next-line no-restricted-imports
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The files of templates/ that go into an artifact, as they are. */
export type TemplatePath =
  | 'node-test/group.test.js'
  | 'node-test/support/run-case.js'
  | 'node-test/support/check-response.js'
  | 'node-test/support/url-encoding.js'
  | 'postman/test-script.js'
  | 'postman/prerequest-script.js';

const TEMPLATES = join(__dirname, '..', 'templates');
const texts = new Map<TemplatePath, string>();

/** A template's text, read once per process. */
export function templateText(path: TemplatePath): string {
  let text = texts.get(path);
  if (text === undefined) {
    text = readFileSync(join(TEMPLATES, path), 'utf8');
    texts.set(path, text);
  }
  return text;
}

/** A script template as the lines of a Postman `exec` array. */
export function templateLines(path: TemplatePath): string[] {
  return templateText(path).replace(/\n$/, '').split('\n');
}
