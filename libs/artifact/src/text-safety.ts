import { sanitizeFileName } from '@spectest/openapi';

/**
 * Spec text (titles, names) lands in generated code and Markdown. Data goes through JSON.stringify;
 * this is for the few places it is prose, so a crafted title cannot end a comment line and inject code.
 */
export function oneLine(text: string, max = 200): string {
  const flat = text.replace(/[\r\n\u2028\u2029\t]+/g, ' ').trim();
  return flat.length > max ? flat.slice(0, max - 1) + '…' : flat;
}

export function markdownCell(text: string): string {
  return oneLine(text, 300).replace(/\\/g, '\\\\').replace(/\|/g, '\\|');
}

/** Groups come from the spec (or a model): sanitise again at the point they become file names. */
export function groupFileName(group: string): string {
  return sanitizeFileName(group) || 'default';
}

export function packageName(title: string): string {
  const base = title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return `${base || 'api'}-tests`;
}
