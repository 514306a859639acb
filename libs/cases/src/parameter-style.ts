/**
 * How a parameter value goes on the wire, by the OpenAPI 3 `style` and `explode` rules (Swagger 2.0
 * `collectionFormat` is converted to these). Cases carry the result (query pairs, the path text, the
 * header text, cookie pairs), so the node:test suite and the Postman collection send the same request;
 * they only percent-encode it (libs/artifact). Values here are not percent-encoded.
 */
export type Primitive = string | number | boolean;
export type StyleValue = Primitive | Primitive[] | { [key: string]: Primitive };
export type ParameterLocation = 'path' | 'query' | 'header' | 'cookie';

export interface ParameterStyle {
  style: string;
  explode: boolean;
}

/** The parameter's style and explode, with the defaults of its location (`form` explodes by default). */
export function parameterStyle(location: ParameterLocation, raw: Record<string, unknown>): ParameterStyle {
  const style = typeof raw.style === 'string' ? raw.style : location === 'query' || location === 'cookie' ? 'form' : 'simple';
  const explode = typeof raw.explode === 'boolean' ? raw.explode : style === 'form';
  return { style, explode };
}

/** Query pairs (name, value) in order; an exploded array repeats its name, an exploded object gives one pair per property. */
export function serializeQuery(name: string, value: StyleValue, { style, explode }: ParameterStyle): [string, Primitive][] {
  if (Array.isArray(value)) {
    if (explode) return value.map((item) => [name, item]);
    return [[name, value.map(String).join(delimiter(style))]];
  }
  if (isObject(value)) {
    const entries = Object.entries(value);
    if (style === 'deepObject') return entries.map(([key, item]) => [`${name}[${key}]`, item]);
    if (explode && style === 'form') return entries.map(([key, item]) => [key, item]);
    return [[name, entries.flatMap(([key, item]) => [key, String(item)]).join(delimiter(style))]];
  }
  return [[name, value]];
}

/** The text that replaces `{name}` in the path: simple `a,b`, label `.a.b`, matrix `;name=a;name=b`. */
export function serializePath(name: string, value: StyleValue, { style, explode }: ParameterStyle): Primitive {
  if (style === 'label') return '.' + joined(value, explode ? '.' : ',', explode);
  if (style === 'matrix') {
    if (Array.isArray(value)) {
      if (explode) return value.map((item) => `;${name}=${item}`).join('');
      return `;${name}` + (value.length > 0 ? `=${value.join(',')}` : '');
    }
    if (isObject(value)) {
      const entries = Object.entries(value);
      if (explode) return entries.map(([key, item]) => `;${key}=${item}`).join('');
      return `;${name}=${entries.flatMap(([key, item]) => [key, String(item)]).join(',')}`;
    }
    return String(value) === '' ? `;${name}` : `;${name}=${value}`;
  }
  return Array.isArray(value) || isObject(value) ? joined(value, ',', explode) : value;
}

/** Header text: the simple style (`a,b`; an object `k,v,k2,v2`, exploded `k=v,k2=v2`). */
export function serializeHeader(value: StyleValue, { explode }: ParameterStyle): string {
  return joined(value, ',', explode);
}

/**
 * Cookie pairs, form style: `name=a,b`; exploded arrays repeat the name, exploded objects give one
 * pair per property (each pair its own cookie, as a Cookie header carries them).
 */
export function serializeCookie(name: string, value: StyleValue, style: ParameterStyle): [string, Primitive][] {
  return serializeQuery(name, value, { style: 'form', explode: style.explode });
}

function joined(value: StyleValue, separator: string, explode: boolean): string {
  if (Array.isArray(value)) return value.map(String).join(separator);
  if (isObject(value)) {
    const entries = Object.entries(value);
    return explode ? entries.map(([key, item]) => `${key}=${item}`).join(separator) : entries.flatMap(([key, item]) => [key, String(item)]).join(',');
  }
  return String(value);
}

function delimiter(style: string): string {
  return style === 'spaceDelimited' ? ' ' : style === 'pipeDelimited' ? '|' : style === 'tabDelimited' ? '\t' : ',';
}

function isObject(value: StyleValue): value is { [key: string]: Primitive } {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
