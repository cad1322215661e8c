import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { kimg, makeTempDir, removeTempDirs, treeHash } from '../harness';
import { dockerArchive } from './hostile-archive-files';

/**
 * Issue 9, class 11: names from inputs (RepoTags, member names, labels) holding ESC sequences, BEL or a newline
 * reach the terminal escaped — `\x1b`, `\x07`, `\n` as text — so they can neither drive it nor forge a
 * `kimg:` line; JSON output stays valid JSON carrying the same strings.
 */
let work: string;
let root: string;

beforeAll(async () => {
  work = await makeTempDir();
  root = join(work, 'store');
});
afterAll(removeTempDirs);

// eslint-disable-next-line no-control-regex -- what must never reach the terminal raw
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

const FORGED = 'kimg: error: forged';

/** Every line of `text` that starts like a kimg message: no forged ones among them. */
function kimgLines(text: string): string[] {
  return text.split('\n').filter((line) => line.startsWith('kimg:'));
}

async function archive(name: string, options: Parameters<typeof dockerArchive>[0]): Promise<string> {
  const file = join(work, name);
  await writeFile(file, dockerArchive(options));
  return file;
}

describe('names from inputs are escaped before they reach a terminal', () => {
  it('a RepoTag with a screen-clearing ESC sequence and a newline: one warning line, escaped', async () => {
    const file = await archive('tags.tar', { repoTags: [`evil\x1b[2J\x1b[H\n${FORGED}:1`] });
    const result = await kimg(['load', '-i', file], { root });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      `kimg: warning: "evil\\x1b[2J\\x1b[H\\n${FORGED}:1" is not a valid image name; loaded untagged\n`,
    );
    expect(result.stderr).not.toMatch(RAW_CONTROL);
    expect(kimgLines(result.stderr).some((line) => line.startsWith(FORGED))).toBe(false);
  });

  it('a member name with an OSC title sequence, BEL and a newline in an error: exit 1, escaped, store unchanged', async () => {
    const file = await archive('member.tar', {
      repoTags: ['example.com/member:1'],
      missingLayer: `evil\x1b]0;pwned\x07\n${FORGED}/layer.tar`,
    });
    const before = await treeHash(root);
    const result = await kimg(['load', '-i', file], { root });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `kimg: error: ${file}: manifest.json names "evil\\x1b]0;pwned\\x07\\n${FORGED}/layer.tar", which is not in the archive\n` +
        'kimg: hint: the archive is incomplete; produce it again\n',
    );
    expect(result.stderr).not.toMatch(RAW_CONTROL);
    expect(await treeHash(root)).toBe(before);
  });

  it('--debug: the stack is printed, its message line escaped too', async () => {
    const file = join(work, 'member.tar');
    const result = await kimg(['load', '-i', file, '--debug'], { root });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/\n\s+at /);
    expect(result.stderr).not.toMatch(RAW_CONTROL);
    expect(kimgLines(result.stderr).some((line) => line.startsWith(FORGED))).toBe(false);
    expect(result.stderr.split('\n').some((line) => line.startsWith(FORGED))).toBe(false);
  });

  it('labels with ESC, a C1 CSI, BEL and a newline: inspect prints valid JSON with the same strings, no raw control byte', async () => {
    const labels = { 'title\x1b[31m': `red\u009b2J\n${FORGED}\x07` };
    const file = await archive('labels.tar', { repoTags: ['example.com/labels:1'], labels });
    for (const args of [[], ['--format', 'json']]) {
      const result = await kimg(['inspect', `docker-archive:${file}`, ...args], { root });
      expect(result.code).toBe(0);
      expect(result.stdout).not.toMatch(RAW_CONTROL);
      expect((JSON.parse(result.stdout) as { config: { labels: unknown } }).config.labels).toEqual(labels);
    }
  });

  it('printable UTF-8 stays as it is', async () => {
    const file = await archive('utf8.tar', { repoTags: ['Ünïcödé ✓ 名前:1'] });
    const result = await kimg(['load', '-i', file], { root });
    expect(result.stderr).toContain('"Ünïcödé ✓ 名前:1" is not a valid image name');
  });
});
