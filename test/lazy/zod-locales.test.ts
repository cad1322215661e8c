import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

// jest has its own module registry, so the stand-in is checked in a plain node process on the built code.
const lazy = join(__dirname, '..', '..', 'dist', 'lazy', 'lazy.js');

function inNode(script: string): unknown {
  const out = execFileSync(process.execPath, ['-e', script], {
    encoding: 'utf8',
    env: { ...process.env, LAZY: lazy },
  });
  return JSON.parse(out);
}

describe('zod locales loaded on demand', () => {
  it('zod loads without its locale files, validates with English messages, and still serves a locale when asked', () => {
    const result = inNode(`
      const loadedLocales = () => Object.keys(require.cache).filter((f) => /zod[\\\\/]v4[\\\\/]locales[\\\\/](?!en\\.cjs)[^\\\\/]+\\.cjs$/.test(f) && !f.endsWith('index.cjs')).length;
      const z = require(process.env.LAZY).zod();
      const before = loadedLocales();
      const message = z.object({ a: z.string() }).safeParse({ a: 1 }).error.issues[0].message;
      const names = Object.keys(z.locales).length;
      z.config(z.locales.de());
      const german = z.string().safeParse(1).error.issues[0].message;
      z.config(z.locales.en());
      console.log(JSON.stringify({ before, message, names, german, after: loadedLocales() }));
    `);
    expect(result).toEqual({
      before: 0,
      message: 'Invalid input: expected string, received number',
      names: expect.any(Number),
      german: expect.stringContaining('Ungültige Eingabe'),
      after: 1,
    });
    expect((result as { names: number }).names).toBeGreaterThan(40);
  });

  it('leaves zod alone when its locales index was already loaded', () => {
    const result = inNode(`
      require('zod');
      const { deferZodLocales } = require(${JSON.stringify(join(__dirname, '..', '..', 'dist', 'lazy', 'zod-locales.js'))});
      console.log(JSON.stringify({ standIn: deferZodLocales() }));
    `);
    expect(result).toEqual({ standIn: false });
  });
});
