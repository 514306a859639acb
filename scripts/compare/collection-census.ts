/** What a Postman collection made by Portman holds: requests by kind and pm.test assertions by kind. */
export interface Census {
  operations: number;
  requests: Record<string, number>;
  assertions: Record<string, number>;
}

interface Item {
  name: string;
  item?: Item[];
  request?: { method: string; url?: { path?: string[]; query?: { key: string; disabled?: boolean }[] }; header?: { key: string }[] };
  event?: { listen: string; script?: { exec?: string[] | string } }[];
}

export const REQUEST_KINDS = [
  'positive: main request of an operation',
  'positive: another documented 2xx or response media type',
  'positive: a variation per documented 2xx and media type',
  'positive: another named example or request media type',
  'missing required parameter',
  'missing required body field',
  'number past minimum / maximum',
  'string past maxLength',
  'string short of minLength',
  'value outside enum',
  'string against pattern',
  'wrong type',
  'undocumented request content type',
  'no credentials',
  'other',
] as const;

export const ASSERTION_KINDS = ['status', 'body against response schema', 'response content type', 'body is JSON', 'body is empty', 'response headers present', 'other'] as const;

export function censusOfCollection(collection: { item: Item[] }): Census {
  const requests: Record<string, number> = {};
  const assertions: Record<string, number> = {};
  const bump = (map: Record<string, number>, key: string) => (map[key] = (map[key] ?? 0) + 1);
  const leaves: Item[] = [];
  const walk = (items: Item[]) => items.forEach((i) => (i.item ? walk(i.item) : i.request && leaves.push(i)));
  walk(collection.item);

  // The main request of each operation, to tell a removed required parameter from a removed body field.
  const mains = new Map<string, Item>();
  const operation = (i: Item) => `${i.request!.method} /${(i.request!.url?.path ?? []).join('/')}`;
  for (const leaf of leaves) if (!leaf.name.includes('[')) mains.set(operation(leaf), leaf);

  for (const leaf of leaves) {
    bump(requests, requestKind(leaf, mains.get(operation(leaf))));
    const script = (leaf.event ?? []).filter((e) => e.listen === 'test').flatMap((e) => e.script?.exec ?? []);
    const text = Array.isArray(script) ? script.join('\n') : String(script);
    for (const match of text.matchAll(/pm\.test\("((?:[^"\\]|\\.)*)"/g)) bump(assertions, assertionKind(match[1]));
  }
  return { operations: mains.size, requests, assertions };
}

function requestKind(leaf: Item, main: Item | undefined): string {
  const tags = [...leaf.name.matchAll(/\[([^\]]*)\]/g)].map((m) => m[1]);
  if (tags.length === 0) return 'positive: main request of an operation';
  const fuzz = tags[1] ?? '';
  if (tags[0] === 'success' || fuzz === '') return 'positive: a variation per documented 2xx and media type';
  const required = /^required (.*)$/.exec(fuzz);
  if (required) {
    const name = required[1];
    const isParameter =
      (main?.request?.url?.query ?? []).some((q) => q.key === name) || (main?.request?.header ?? []).some((h) => h.key.toLowerCase() === name.toLowerCase());
    return isParameter ? 'missing required parameter' : 'missing required body field';
  }
  if (/^(minimum|maximum) number value /.test(fuzz)) return 'number past minimum / maximum';
  if (/^maximum length /.test(fuzz)) return 'string past maxLength';
  if (/^minimum length /.test(fuzz)) return 'string short of minLength';
  return 'other';
}

function assertionKind(name: string): string {
  const what = name.replace(/^\[[A-Z]+\]\S*\s+-\s+/, '');
  if (/^(Response )?[Ss]tatus code is/.test(what)) return 'status';
  if (/^Schema is valid/.test(what)) return 'body against response schema';
  if (/^Content-Type is/.test(what)) return 'response content type';
  if (/JSON Body/.test(what)) return 'body is JSON';
  if (/empty Body/.test(what)) return 'body is empty';
  if (/header .* is present/i.test(what)) return 'response headers present';
  return 'other';
}
