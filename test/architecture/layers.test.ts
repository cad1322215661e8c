import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * docs/architecture.md: data flows one way; lower layers never import higher ones and nothing imports cli/.
 * And each folder's README states what it may import ("May import: `errors/`, `transport/types.ts` …"); that line
 * is a rule too, also between folders of one layer. (go-containerregistry keeps a test asserting each package's
 * allowed dependencies; this is ours.) Every form of import counts: `from '…'`, `import('…')`, `require('…')`.
 */
const SRC = resolve(__dirname, '..', '..', 'src');

const LAYER_OF: Record<string, number> = {
  errors: 0,
  lazy: 0,
  lock: 0,
  interrupt: 0,
  fs: 0,
  digest: 1,
  manifest: 1,
  reference: 1,
  cluster: 1,
  template: 1,
  store: 2,
  registry: 2,
  layer: 2,
  unpack: 2,
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

/** Every relative module a file names: static imports and re-exports, `import()` and `require()`. */
export function importedModules(text: string): string[] {
  const patterns = [
    /\bfrom\s+'(\.[^']+)'/g,
    /\bimport\s+'(\.[^']+)'/g,
    /\b(?:import|require)\(\s*'(\.[^']+)'\s*\)/g,
  ];
  return patterns.flatMap((pattern) => [...text.matchAll(pattern)].map((match) => match[1] ?? ''));
}

/** The module file (or folder index) an import resolves to, relative to src/. */
function resolveImport(file: string, specifier: string): string {
  const target = resolve(dirname(file), specifier);
  if (existsSync(`${target}.ts`)) return relative(SRC, `${target}.ts`);
  if (existsSync(join(target, 'index.ts'))) return relative(SRC, join(target, 'index.ts'));
  return relative(SRC, target);
}

interface ImportRule {
  /** The folder (relative to src/) whose README states the rule; it governs its whole subtree. */
  folder: string;
  /** `errors/` (a folder: anything in it), `transport/types.ts` (one file), `transport/archive/*` (a folder). */
  allowed: string[];
}

/**
 * The rule of a README: the sentence after "May import:", up to its full stop. Backticked paths name kimg
 * modules (`errors/`, `transport/types.ts`); bare top-level folder names count too (`errors, digest`); anything
 * else (npm packages, Node built-ins) is not checked here. "nothing from kimg" allows nothing.
 */
export function parseImportRule(readme: string): string[] | undefined {
  const match = /May import:([\s\S]*?)(?:\.(?:\s|$)|\n\n)/.exec(readme);
  if (!match) return undefined;
  const sentence = (match[1] ?? '').replace(/\([^)]*\)/g, ' ');
  const allowed = new Set<string>();
  for (const [, token = ''] of sentence.matchAll(/`([^`]+)`/g)) {
    const path = token.replace(/\/\*$/, '/');
    if (path.includes('/') || LAYER_OF[path] !== undefined)
      allowed.add(path.endsWith('.ts') || path.endsWith('/') ? path : `${path}/`);
  }
  for (const [, word = ''] of sentence.replace(/`[^`]*`/g, ' ').matchAll(/([a-z][a-z-]*)/g)) {
    if (LAYER_OF[word] !== undefined) allowed.add(`${word}/`);
  }
  return [...allowed];
}

function importRules(): ImportRule[] {
  const rules: ImportRule[] = [];
  const visit = (dir: string): void => {
    const readme = join(dir, 'README.md');
    if (existsSync(readme)) {
      const allowed = parseImportRule(readFileSync(readme, 'utf8'));
      if (allowed) rules.push({ folder: relative(SRC, dir), allowed });
    }
    for (const name of readdirSync(dir)) if (statSync(join(dir, name)).isDirectory()) visit(join(dir, name));
  };
  visit(SRC);
  return rules;
}

/** The deepest rule whose folder holds `file`. */
function ruleFor(rules: ImportRule[], file: string): ImportRule | undefined {
  return rules
    .filter((rule) => file.startsWith(`${rule.folder}/`))
    .sort((a, b) => b.folder.length - a.folder.length)[0];
}

function isAllowed(rule: ImportRule, target: string): boolean {
  if (target.startsWith(`${rule.folder}/`)) return true;
  return rule.allowed.some((entry) => (entry.endsWith('/') ? target.startsWith(entry) : target === entry));
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
      for (const specifier of importedModules(readFileSync(file, 'utf8'))) {
        const target = resolve(dirname(file), specifier);
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

  it('every top-level folder README states what the folder may import', () => {
    const rules = importRules();
    const missing = Object.keys(LAYER_OF).filter(
      (folder) => existsSync(join(SRC, folder)) && !rules.some((rule) => rule.folder === folder),
    );
    expect(missing).toEqual([]);
  });

  it("each module imports only what its folder README's May import line allows", () => {
    const rules = importRules();
    const violations: string[] = [];
    for (const file of files) {
      const from = relative(SRC, file);
      const rule = ruleFor(rules, from);
      if (!rule) continue;
      for (const specifier of importedModules(readFileSync(file, 'utf8'))) {
        if (!resolve(dirname(file), specifier).startsWith(SRC + '/')) continue;
        const target = resolveImport(file, specifier);
        if (!isAllowed(rule, target))
          violations.push(
            `${from} imports ${target} (${rule.folder}/README.md allows ${rule.allowed.join(', ') || 'nothing'})`,
          );
      }
    }
    expect(violations).toEqual([]);
  });

  it('sees import(), require() and re-exports, and reads README rules', () => {
    expect(
      importedModules(
        `const m = await import('../a');\nrequire('./b');\nexport { x } from '../c';\nimport '../d';`,
      ),
    ).toEqual(['../c', '../d', '../a', './b']);
    expect(parseImportRule('May import: `errors/`, `transport/types.ts`, npm `semver`.')).toEqual([
      'errors/',
      'transport/types.ts',
    ]);
    expect(parseImportRule('May import: errors, digest, transport (and what it exposes).')).toEqual([
      'errors/',
      'digest/',
      'transport/',
    ]);
    expect(parseImportRule('May import: nothing from kimg.')).toEqual([]);
    expect(parseImportRule('No rule here.')).toBeUndefined();
  });
});
