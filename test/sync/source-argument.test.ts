import { describe, expect, it } from '@jest/globals';
import { KimgError } from '../../src/errors';
import { compileTagPattern, sourceFromArgument, type SyncSource } from '../../src/sync';

// `kimg sync SRC DST` without a file: what SRC and --tags / --all-tags say, as a sync file would say it.
const v1 = compileTagPattern('^v1\\.');

/** The selection part of a source: registry, listed images, tag patterns, every repository. */
function selection(source: SyncSource) {
  return {
    registry: source.registry,
    images: Object.fromEntries(source.images),
    tagPatterns: Object.fromEntries([...source.tagPatterns].map(([repo, pattern]) => [repo, pattern.source])),
    everyRepository: source.everyRepository && { tags: source.everyRepository.tags?.source },
  };
}

function refusal(text: string, options: Parameters<typeof sourceFromArgument>[1]): KimgError {
  try {
    sourceFromArgument(text, options);
  } catch (err) {
    if (err instanceof KimgError) return err;
    throw err;
  }
  throw new Error(`${text} was accepted`);
}

describe('sourceFromArgument', () => {
  it('reads an image, a repository (every tag) and a registry (every repository)', () => {
    expect(selection(sourceFromArgument('quay.io/org/app:1'))).toEqual({
      registry: 'quay.io',
      images: { 'org/app': ['1'] },
      tagPatterns: {},
      everyRepository: undefined,
    });
    expect(selection(sourceFromArgument('docker://quay.io/org/app'))).toEqual({
      registry: 'quay.io',
      images: { 'org/app': [] },
      tagPatterns: {},
      everyRepository: undefined,
    });
    expect(selection(sourceFromArgument('localhost:5000', { tags: v1 }))).toEqual({
      registry: 'localhost:5000',
      images: {},
      tagPatterns: {},
      everyRepository: { tags: '^v1\\.' },
    });
  });

  it('--all-tags widens an image by tag or by digest to every tag of its repository', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    for (const text of [
      'quay.io/org/app:1',
      `quay.io/org/app@${digest}`,
      `docker://quay.io/org/app:1@${digest}`,
      'quay.io/org/app',
    ]) {
      expect({ text, ...selection(sourceFromArgument(text, { allTags: true })) }).toEqual({
        text,
        registry: 'quay.io',
        images: { 'org/app': [] },
        tagPatterns: {},
        everyRepository: undefined,
      });
    }
    // Without the flag the pin stays: one image.
    expect(selection(sourceFromArgument(`quay.io/org/app@${digest}`)).images).toEqual({
      'org/app': [digest],
    });
  });

  it('--all-tags on a registry is every tag of every repository, as without it', () => {
    expect(selection(sourceFromArgument('registry.local:5000', { allTags: true }))).toEqual(
      selection(sourceFromArgument('registry.local:5000')),
    );
    expect(sourceFromArgument('registry.local:5000', { allTags: true }).everyRepository).toEqual({});
  });

  it('refuses --all-tags with --tags, naming both flags and the way out', () => {
    for (const text of ['quay.io/org/app', 'quay.io/org/app:1', 'quay.io']) {
      const err = refusal(text, { allTags: true, tags: v1 });
      expect({ text, code: err.code, message: err.message, hint: err.hint }).toEqual({
        text,
        code: 'INVALID_ARGUMENT',
        message: '--all-tags and --tags both say which tags to copy',
        hint: 'keep --tags REGEX for the matching tags only, or --all-tags for every tag',
      });
    }
  });

  it('refuses --tags on one image, naming the image', () => {
    const err = refusal('quay.io/org/app:1', { tags: v1 });
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toBe(
      '--tags filters the tags of a repository, but "quay.io/org/app:1" names one image',
    );
    expect(err.hint).toBe('drop the tag from the source, or drop --tags');
  });

  it('keeps --exclude with --all-tags', () => {
    const exclude = [compileTagPattern('-debug$')];
    expect(sourceFromArgument('quay.io/org/app:1', { allTags: true, exclude }).exclude).toBe(exclude);
  });
});
