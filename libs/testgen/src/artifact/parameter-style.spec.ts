import { runInNewContext } from 'node:vm';
import {
  ParameterLocation,
  StyleValue,
  URL_ENCODING_SOURCE,
  encodePathValue,
  encodeQueryComponent,
  parameterStyle,
  serializeCookie,
  serializeHeader,
  serializePath,
  serializeQuery,
} from './parameter-style';

// The style examples table of the OpenAPI Specification (3.0.3 / 3.1.0, "Style Examples"), for a
// parameter named "color": empty is "", string "blue", array ["blue","black","brown"], object {R:100,G:200,B:150}.
const STRING = 'blue';
const ARRAY = ['blue', 'black', 'brown'];
const OBJECT = { R: 100, G: 200, B: 150 };
type Row = [style: string, explode: boolean, location: ParameterLocation, value: StyleValue, expected: string];
const TABLE: Row[] = [
  ['matrix', false, 'path', '', ';color'],
  ['matrix', false, 'path', STRING, ';color=blue'],
  ['matrix', false, 'path', ARRAY, ';color=blue,black,brown'],
  ['matrix', false, 'path', OBJECT, ';color=R,100,G,200,B,150'],
  ['matrix', true, 'path', STRING, ';color=blue'],
  ['matrix', true, 'path', ARRAY, ';color=blue;color=black;color=brown'],
  ['matrix', true, 'path', OBJECT, ';R=100;G=200;B=150'],
  ['label', false, 'path', '', '.'],
  ['label', false, 'path', STRING, '.blue'],
  ['label', false, 'path', ARRAY, '.blue,black,brown'],
  ['label', false, 'path', OBJECT, '.R,100,G,200,B,150'],
  ['label', true, 'path', ARRAY, '.blue.black.brown'],
  ['label', true, 'path', OBJECT, '.R=100.G=200.B=150'],
  ['form', false, 'query', '', 'color='],
  ['form', false, 'query', STRING, 'color=blue'],
  ['form', false, 'query', ARRAY, 'color=blue,black,brown'],
  ['form', false, 'query', OBJECT, 'color=R,100,G,200,B,150'],
  ['form', true, 'query', ARRAY, 'color=blue&color=black&color=brown'],
  ['form', true, 'query', OBJECT, 'R=100&G=200&B=150'],
  ['simple', false, 'path', STRING, 'blue'],
  ['simple', false, 'path', ARRAY, 'blue,black,brown'],
  ['simple', false, 'path', OBJECT, 'R,100,G,200,B,150'],
  ['simple', true, 'path', ARRAY, 'blue,black,brown'],
  ['simple', true, 'path', OBJECT, 'R=100,G=200,B=150'],
  ['spaceDelimited', false, 'query', ARRAY, 'color=blue%20black%20brown'],
  ['spaceDelimited', false, 'query', OBJECT, 'color=R%20100%20G%20200%20B%20150'],
  ['pipeDelimited', false, 'query', ARRAY, 'color=blue|black|brown'],
  ['pipeDelimited', false, 'query', OBJECT, 'color=R|100|G|200|B|150'],
  ['deepObject', true, 'query', OBJECT, 'color[R]=100&color[G]=200&color[B]=150'],
];

/** What goes on the wire, percent-encoded as both runners encode it. */
function wire(style: string, explode: boolean, location: ParameterLocation, value: StyleValue): string {
  const chosen = { style, explode };
  if (location === 'path') return encodePathValue(serializePath('color', value, chosen));
  return serializeQuery('color', value, chosen)
    .map(([name, item]) => `${encodeQueryComponent(name)}=${encodeQueryComponent(item)}`)
    .join('&');
}

describe('parameter styles: the OpenAPI style examples table', () => {
  it.each(TABLE)('%s explode=%s in %s: %j -> %s', (style, explode, location, value, expected) => {
    expect(wire(style, explode, location, value)).toBe(expected);
  });

  it('header (simple) and cookie (form) values', () => {
    expect(serializeHeader(ARRAY, { style: 'simple', explode: false })).toBe('blue,black,brown');
    expect(serializeHeader(OBJECT, { style: 'simple', explode: true })).toBe('R=100,G=200,B=150');
    expect(serializeHeader(OBJECT, { style: 'simple', explode: false })).toBe('R,100,G,200,B,150');
    expect(serializeCookie('color', ARRAY, { style: 'form', explode: false })).toEqual([['color', 'blue,black,brown']]);
    expect(serializeCookie('color', ARRAY, { style: 'form', explode: true })).toEqual(ARRAY.map((v) => ['color', v]));
  });

  it('defaults: form and exploded for query and cookie, simple otherwise; an explicit explode wins', () => {
    expect(parameterStyle('query', {})).toEqual({ style: 'form', explode: true });
    expect(parameterStyle('cookie', {})).toEqual({ style: 'form', explode: true });
    expect(parameterStyle('path', {})).toEqual({ style: 'simple', explode: false });
    expect(parameterStyle('header', {})).toEqual({ style: 'simple', explode: false });
    expect(parameterStyle('query', { style: 'deepObject' })).toEqual({ style: 'deepObject', explode: false });
    expect(parameterStyle('query', { explode: false })).toEqual({ style: 'form', explode: false });
  });

  it('keeps primitive values as they are (a number stays a number in cases.json)', () => {
    expect(serializeQuery('page', 2, { style: 'form', explode: true })).toEqual([['page', 2]]);
    expect(serializePath('id', 7, { style: 'simple', explode: false })).toBe(7);
  });

  it('percent-encodes data but not the delimiters; run-case.js embeds the same encoders', () => {
    const embedded = runInNewContext(`${URL_ENCODING_SOURCE}; ({ encodePathValue, encodeQueryComponent })`) as {
      encodePathValue: (v: unknown) => string;
      encodeQueryComponent: (v: unknown) => string;
    };
    const samples = ['a b', 'a/b', 'x?y#z', '100%', 'é', ';id=1,2', '.a.b', 'k[v]', 'a|b', 'a+b', "~!@$&'()*", 42, true];
    for (const sample of samples) {
      expect(embedded.encodePathValue(sample)).toBe(encodePathValue(sample));
      expect(embedded.encodeQueryComponent(sample)).toBe(encodeQueryComponent(sample));
    }
    expect(encodePathValue('a/b c;d=e')).toBe('a%2Fb%20c;d=e');
    expect(encodeQueryComponent('a&b=c [d],e|f')).toBe('a%26b%3Dc%20[d],e|f');
  });
});
