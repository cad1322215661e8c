import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * docs/architecture.md: data flows one way; lower layers never import higher ones and nothing imports cli/.
 * (go-containerregistry keeps a test asserting each package's allowed dependencies; this is ours.)
 */
const SRC = resolve(__dirname, '..', '..', 'src');

const LAYER_OF: Record<string, number> = {
  errors: 0,
  lazy: 0,
  lock: 0,
  fs: 0,
  digest: 1,
  manifest: 1,
  reference: 1,
  store: 2,
  registry: 2,
  layer: 2,
  transport: 3,
  copy: 4,
  image: 4,
  build: 5,
  airgap: 5,
  install: 5,
  sync: 5,
  cli: 6,
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

function topFolder(file: string): string {
  return relative(SRC, file).split('/')[0] ?? '';
}

const files = sourceFiles(SRC).filter((file) => relative(SRC, file).includes('/'));

describe('layering', () => {
  it('knows the layer of every src/ folder', () => {
    const unknown = [...new Set(files.map(topFolder))].filter((folder) => LAYER_OF[folder] === undefined);
    expect(unknown).toEqual([]);
  });

  it('no module imports from a higher layer, and nothing imports cli/', () => {
    const violations: string[] = [];
    for (const file of files) {
      const from = topFolder(file);
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/from '(\.[^']+)'/g)) {
        const target = resolve(dirname(file), match[1] ?? '');
        if (!target.startsWith(SRC + '/')) continue;
        const to = topFolder(target);
        if (to === from) continue;
        if ((LAYER_OF[to] ?? 99) > (LAYER_OF[from] ?? -1) || to === 'cli') {
          violations.push(
            `${relative(SRC, file)} imports ${to}/ (layer ${LAYER_OF[to]}) from ${from}/ (layer ${LAYER_OF[from]})`,
          );
        }
      }
    }
    expect(violations).toEqual([]);
  });
});
