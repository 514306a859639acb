import { parameterStyle, serializeCookie, serializeHeader, serializePath, serializeQuery } from './parameter-style';

const ARRAY = ['blue', 'black', 'brown'];
const OBJECT = { R: 100, G: 200, B: 150 };

describe('parameter styles', () => {
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

});
