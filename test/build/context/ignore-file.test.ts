import { afterAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ignoreRules, parseIgnoreFile } from '../../../src/build/context';
import { readIgnoreRules } from '../../../src/build/context/ignore-file';
import { isKimgError } from '../../../src/errors';
import { makeTempDir, removeTempDirs } from '../../harness/temp';

/** [ignore file, path, excluded?] — Docker's semantics (moby/patternmatcher MatchesOrParentMatches). */
const TABLE: [string, string, boolean][] = [
  ['*.md', 'README.md', true],
  ['*.md', 'docs/README.md', false], // * does not cross /
  ['**/*.md', 'docs/deep/README.md', true],
  ['**/*.md', 'README.md', true], // ** matches zero directories
  ['docs', 'docs/a/b.txt', true], // a directory pattern excludes everything below
  ['docs/', 'docs/a.txt', true], // trailing slash cleaned away
  ['/docs', 'docs/a.txt', true], // leading slash stripped
  ['./docs', 'docs/a.txt', true],
  ['docs\n!docs/keep.txt', 'docs/keep.txt', false],
  ['docs\n!docs/keep.txt', 'docs/other.txt', true],
  ['!docs/keep.txt\ndocs', 'docs/keep.txt', true], // last match wins
  ['*\n!charts\ncharts/*.tgz', 'charts/app.tgz', true],
  ['*\n!charts\ncharts/*.tgz', 'charts/app/Chart.yaml', false],
  ['*\n!charts\ncharts/*.tgz', 'bin/kubeadm', true],
  ['# comment\n\n  bin  \n', 'bin/x', true],
  ['# bin', 'bin/x', false],
  [' # not a comment', '# not a comment', true], // not at column 1: trimmed into a pattern
  ['file?.txt', 'file1.txt', true],
  ['file?.txt', 'file10.txt', false],
  ['file[0-9].txt', 'file7.txt', true],
  ['file[^0-9].txt', 'file7.txt', false],
  ['file[^0-9].txt', 'fileA.txt', true],
  ['a\\*b', 'a*b', true],
  ['a\\*b', 'axb', false],
  ['a.b', 'axb', false], // regexp metacharacters are literal
  ['**', 'anything/at/all', true],
  ['dir/**', 'dir/x/y', true],
  ['dir/**', 'dirx', false],
  ['\uFEFF.git', '.git/config', true], // BOM dropped
  ['Kubefile\n.dockerignore', 'Kubefile', true],
];

describe('ignore file semantics', () => {
  it.each(TABLE)('%j: %s excluded=%s', (text, path, excluded) => {
    expect(ignoreRules(parseIgnoreFile(text), '.dockerignore').excludes(path)).toBe(excluded);
  });

  it('names the deciding line and tells when an exception may re-include below a directory', () => {
    const rules = ignoreRules(parseIgnoreFile('# x\nbuild\n!build/keep\n*.log'), '/ctx/.dockerignore');
    expect(rules.decidingLine('build/out')).toBe(2);
    expect(rules.decidingLine('a.log')).toBe(4);
    expect(rules.decidingLine('build/keep')).toBeUndefined();
    expect(rules.mayReincludeBelow('build')).toBe(true);
    expect(rules.mayReincludeBelow('other')).toBe(false);
  });

  it('refuses an unterminated character class with file and line', () => {
    expect(() => parseIgnoreFile('ok\nbad[', '/ctx/.dockerignore')).toThrow(
      '/ctx/.dockerignore:2: invalid pattern',
    );
  });
});

describe('reading the ignore file (issue 9: files that are not what they claim)', () => {
  afterAll(removeTempDirs);

  async function failure(work: Promise<unknown>): Promise<Error> {
    const err = await work.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(err instanceof Error)) throw new Error('expected an error');
    return err;
  }

  it('refuses an ignore file over the size limit, naming the limit and the variable that raises it', async () => {
    const dir = await makeTempDir();
    await writeFile(join(dir, '.dockerignore'), '*.log\n'.repeat(1000));
    const err = await failure(readIgnoreRules(dir, undefined, 1024));
    expect(isKimgError(err, 'SIZE_LIMIT')).toBe(true);
    expect(err.message).toBe(
      `ignore file ${join(dir, '.dockerignore')} is 6000 bytes, over the 1024-byte ignore file size limit`,
    );
    expect((err as { hint?: string }).hint).toBe(
      'set KIMG_MAX_IGNORE_FILE_SIZE to raise the limit (default 1048576 bytes)',
    );
    expect((await readIgnoreRules(dir, undefined, 6000)).patterns).toHaveLength(1000);
  });

  it('does not wait on a FIFO, nor read /dev/zero behind a symlink', async () => {
    const fifo = await makeTempDir();
    execFileSync('mkfifo', [join(fifo, '.dockerignore')]);
    const started = performance.now();
    expect((await failure(readIgnoreRules(fifo))).message).toContain('not a regular file');
    const zero = await makeTempDir();
    await symlink('/dev/zero', join(zero, '.kubefileignore'));
    expect((await failure(readIgnoreRules(zero))).message).toContain('not a regular file');
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
