// Each attempt's environment is made by EnvCopier instead of an object spread: the same variables, in the
// same order, with the same values, whatever the base holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EnvCopier } from '../../src/util/env-copy.js';

const names = ['MOE_OUT', 'MOE_NODE'];
const spread = (base: Record<string, string>, out: string, node: string): Record<string, string> => ({
  ...base,
  MOE_OUT: out,
  MOE_NODE: node,
});
const same = (a: Record<string, string>, b: Record<string, string>): void => {
  assert.deepEqual(Object.entries(a), Object.entries(b));
  assert.equal(Object.getPrototypeOf(a), Object.prototype);
};

test('copies equal the spread for one base, bases with the same keys, and bases with other keys', () => {
  const copier = new EnvCopier(names);
  const base = { PATH: '/usr/bin', HOME: '/root', LANG: 'C' };
  same(copier.copy(base, ['/o/1', 'a']), spread(base, '/o/1', 'a'));
  same(copier.copy(base, ['/o/2', 'b']), spread(base, '/o/2', 'b'));
  const other = { PATH: '/bin', HOME: '/home/x', LANG: 'de_DE.UTF-8' };
  same(copier.copy(other, ['/o/3', 'c']), spread(other, '/o/3', 'c'));
  const reordered = { HOME: '/root', PATH: '/usr/bin', LANG: 'C' };
  same(copier.copy(reordered, ['/o/4', 'd']), spread(reordered, '/o/4', 'd'));
  const fewer = { PATH: '/usr/bin' };
  same(copier.copy(fewer, ['/o/5', 'e']), spread(fewer, '/o/5', 'e'));
  const more = { ...base, EXTRA: 'x' };
  same(copier.copy(more, ['/o/6', 'f']), spread(more, '/o/6', 'f'));
  // The template is not a copy handed out: changing one copy changes no other.
  const first = copier.copy(base, ['/o/7', 'g']);
  first['PATH'] = 'changed';
  assert.equal(copier.copy(base, ['/o/8', 'h'])['PATH'], '/usr/bin');
});

test("bases with the same keys and other values, one after another: each copy has its own base's values", () => {
  const copier = new EnvCopier(names);
  const a = { PATH: '/usr/bin', MOE_NODE: 'outer', HOME: '/root' };
  const b = { PATH: '/bin', MOE_NODE: 'other', HOME: '/home/b' };
  same(copier.copy(a, ['/o/1', 'x']), spread(a, '/o/1', 'x'));
  same(copier.copy(b, ['/o/2', 'y']), spread(b, '/o/2', 'y'));
  same(copier.copy(a, ['/o/3', 'z']), spread(a, '/o/3', 'z'));
  // A base whose keys stop matching half-way, then the first base again.
  const half = { PATH: '/sbin', MOE_NODE: 'half', LANG: 'C' };
  same(copier.copy(half, ['/o/4', 'w']), spread(half, '/o/4', 'w'));
  same(copier.copy(a, ['/o/5', 'v']), spread(a, '/o/5', 'v'));
});

test('a name the base already has keeps its place and takes the new value', () => {
  const copier = new EnvCopier(names);
  const base = { MOE_NODE: 'outer', PATH: '/usr/bin' };
  const copy = copier.copy(base, ['/o', 'inner']);
  same(copy, spread(base, '/o', 'inner'));
  assert.deepEqual(Object.keys(copy), ['MOE_NODE', 'PATH', 'MOE_OUT']);
});

test('unusual keys: numeric names first as in a spread, __proto__ an ordinary variable', () => {
  const copier = new EnvCopier(names);
  const numeric = { B: '1', '2': 'two', A: '3' };
  same(copier.copy(numeric, ['/o', 'n']), spread(numeric, '/o', 'n'));
  const proto: Record<string, string> = { PATH: '/usr/bin' };
  Object.defineProperty(proto, '__proto__', {
    value: 'p',
    enumerable: true,
    writable: true,
    configurable: true,
  });
  const copy = copier.copy(proto, ['/o', 'p']);
  same(copy, spread(proto, '/o', 'p'));
  assert.equal(Object.getOwnPropertyDescriptor(copy, '__proto__')?.value, 'p');
});
