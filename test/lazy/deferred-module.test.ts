import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { deferredModule, requireAtRunTime } from '../../src/lazy/deferred-module';
import { packageRoot, packageVersion } from '../../src/lazy/package-root';

const REPO_ROOT = resolve(__dirname, '..', '..');

describe('deferredModule (what the start-up snapshot holds in place of a module)', () => {
  it('loads nothing until a name is read, then answers with the real module', () => {
    const before = Object.keys(require.cache).filter((p) =>
      p.includes(`${join('node_modules', 'bcryptjs')}`),
    );
    expect(before).toEqual([]);
    const standIn = deferredModule('bcryptjs') as Record<string, unknown>;
    expect(Object.keys(require.cache).some((p) => p.includes(join('node_modules', 'bcryptjs')))).toBe(false);
    expect(typeof standIn.hashSync).toBe('function');
    expect(Object.keys(require.cache).some((p) => p.includes(join('node_modules', 'bcryptjs')))).toBe(true);
  });

  it('reads as an ES module namespace, as tsc output asks: __esModule, default, names, keys', () => {
    const standIn = deferredModule('node:path') as Record<string, unknown> & { __esModule: boolean };
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module object itself, as require gives it
    const real = require('node:path') as Record<string, unknown>;
    expect(standIn.__esModule).toBe(true);
    // A CommonJS module without its own `default` is its own default (what __importDefault would give).
    expect(standIn.default).toBe(real);
    expect(standIn.join).toBe(real.join);
    expect('sep' in standIn).toBe(true);
    expect(Object.keys(standIn)).toEqual(Object.keys(real));
    expect({ ...standIn }.basename).toBe(real.basename);
  });

  it('names the module when it cannot be found', () => {
    const standIn = deferredModule('kimg-no-such-package') as Record<string, unknown>;
    expect(() => standIn.anything).toThrow(/kimg-no-such-package/);
  });

  it('requireAtRunTime resolves from the package root, not from the caller', () => {
    expect(requireAtRunTime('semver/package.json')).toEqual(
      JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules/semver/package.json'), 'utf8')),
    );
  });
});

describe('packageRoot', () => {
  it('is the checkout under ts-jest, and the version is package.json’s', () => {
    expect(packageRoot()).toBe(REPO_ROOT);
    expect(packageVersion()).toBe(
      (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version,
    );
  });
});
