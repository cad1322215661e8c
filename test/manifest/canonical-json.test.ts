import { createHash } from 'node:crypto';
import { isKimgError } from '../../src/errors';
import { canonicalJson } from '../../src/manifest';

const text = (value: unknown) => canonicalJson(value).toString('utf8');

describe('canonicalJson', () => {
  test.each([
    [{ b: 1, a: 2 }, '{"a":2,"b":1}'],
    [{ z: { y: 1, x: [3, { d: 1, c: 2 }] }, a: null }, '{"a":null,"z":{"x":[3,{"c":2,"d":1}],"y":1}}'],
    [[1, 'two', true, false, null], '[1,"two",true,false,null]'],
    [{ a: undefined, b: 1 }, '{"b":1}'],
    [
      { 'os.version': '1', os: 'linux', architecture: 'amd64' },
      '{"architecture":"amd64","os":"linux","os.version":"1"}',
    ],
    // RFC 8785 §3.2.3: keys compare by UTF-16 code units, so uppercase sorts before lowercase.
    [{ b: 1, B: 2, a: 3, _: 4 }, '{"B":2,"_":4,"a":3,"b":1}'],
    [{ n: 1e21, m: 0.1, z: -0 }, '{"m":0.1,"n":1e+21,"z":0}'],
    ['<&>', '"<&>"'],
    ['line\nquote"', '"line\\nquote\\""'],
    [Object.assign(Object.create(null) as object, { b: 1, a: 2 }), '{"a":2,"b":1}'],
    [{}, '{}'],
    [[], '[]'],
  ])('%j → %s', (value, expected) => {
    expect(text(value)).toBe(expected);
  });

  test('encodes non-ASCII as UTF-8 bytes, not escapes', () => {
    const bytes = canonicalJson({ label: 'é☃' });
    expect(bytes.equals(Buffer.from('{"label":"é☃"}', 'utf8'))).toBe(true);
  });

  test('the same value built in a different key order has the same digest', () => {
    const one = { schemaVersion: 2, config: { digest: 'sha256:x', size: 1 }, layers: [] };
    const two = { layers: [], config: { size: 1, digest: 'sha256:x' }, schemaVersion: 2 };
    const digest = (v: unknown) => createHash('sha256').update(canonicalJson(v)).digest('hex');
    expect(digest(one)).toBe(digest(two));
  });

  test('a shared (non-cyclic) object is encoded at each place', () => {
    const shared = { a: 1 };
    expect(text({ x: shared, y: shared })).toBe('{"x":{"a":1},"y":{"a":1}}');
  });

  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  test.each([
    ['NaN', { n: NaN }],
    ['Infinity', [Infinity]],
    ['undefined in an array', [1, undefined]],
    ['a hole in a sparse array', [1, , 2]], // eslint-disable-line no-sparse-arrays
    ['bigint', { n: 1n }],
    ['function', { f: () => 1 }],
    ['symbol', Symbol('s')],
    ['Date', { d: new Date(0) }],
    ['Map', new Map()],
    ['Buffer', Buffer.from('x')],
    ['cycle', cyclic],
    ['top-level undefined', undefined],
  ])('refuses %s', (_what, value) => {
    let caught: unknown;
    try {
      canonicalJson(value);
    } catch (err) {
      caught = err;
    }
    expect(isKimgError(caught, 'INVALID_ARGUMENT')).toBe(true);
  });
});
