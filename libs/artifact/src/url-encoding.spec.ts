import { ParameterLocation, StyleValue, serializePath, serializeQuery } from '@spectest/cases';
// The generated project's own file, the one the Postman collection is built with too.
import { encodePathValue, encodeQueryComponent } from '../templates/node-test/support/url-encoding';

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

describe('parameter styles on the wire: the OpenAPI style examples table', () => {
  it.each(TABLE)('%s explode=%s in %s: %j -> %s', (style, explode, location, value, expected) => {
    expect(wire(style, explode, location, value)).toBe(expected);
  });

  it('percent-encodes data but not the delimiters', () => {
    expect(encodePathValue('a/b c;d=e')).toBe('a%2Fb%20c;d=e');
    expect(encodePathValue("~!@$&'()*+,;=:")).toBe("~!@$&'()*+,;=:");
    expect(encodePathValue('x?y#z 100% é')).toBe('x%3Fy%23z%20100%25%20%C3%A9');
    expect(encodeQueryComponent('a&b=c [d],e|f')).toBe('a%26b%3Dc%20[d],e|f');
    expect(encodeQueryComponent('a+b;c/d')).toBe('a%2Bb%3Bc%2Fd');
    expect([encodePathValue(42), encodeQueryComponent(true)]).toEqual(['42', 'true']);
  });
});
