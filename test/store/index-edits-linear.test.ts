import { describe, expect, it } from '@jest/globals';
import { MediaType, REF_NAME_ANNOTATION, type Descriptor } from '../../src/manifest';
import { applyRoots, untagName } from '../../src/store/index-edits';
import { emptyIndex, entryName, type IndexEntry, type IndexFile } from '../../src/store/index-file';

const image = (n: number): Descriptor => ({
  mediaType: MediaType.OciManifest,
  digest: `sha256:${n.toString(16).padStart(64, '0')}`,
  size: 100 + n,
});
const entry = (n: number, annotations?: Record<string, string>): IndexEntry =>
  ({ ...image(n), ...(annotations && { annotations }) }) as IndexEntry;
const names = (count: number) => Array.from({ length: count }, (_, i) => `example.com/app-${i}:v${i}`);

/** Linear, 10,000 tags take ~0.5 s on an idle core; the quadratic edits took ~27 s (profiled: 2,500 names 1.7 s). */
describe('applyRoots: a transaction’s tags in one linear pass (issue 9, class 10)', () => {
  it('10,000 names for one image, then all moved to another, each in seconds (the array rebuilt per tag took ~27 s)', () => {
    let started = Date.now();
    const tagged = applyRoots(
      emptyIndex(),
      names(10_000).map((name) => ({ name, desc: image(1) })),
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(tagged.manifests).toHaveLength(10_000);
    expect(new Set(tagged.manifests.map(entryName)).size).toBe(10_000);

    started = Date.now();
    const moved = applyRoots(
      tagged,
      names(10_000).map((name) => ({ name, desc: image(2) })),
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    // Every name now on image 2; image 1 survives once, untagged (docker's dangling image).
    expect(moved.manifests.filter((e) => e.digest === image(2).digest)).toHaveLength(10_000);
    const left = moved.manifests.filter((e) => e.digest === image(1).digest);
    expect(left).toHaveLength(1);
    expect(left[0]?.annotations?.[REF_NAME_ANNOTATION]).toBeUndefined();
  });

  it('keeps the policy of one tag at a time: re-tag is a no-op, a dangling entry is reused in place', () => {
    const start: IndexFile = {
      ...emptyIndex(),
      manifests: [
        entry(1, { [REF_NAME_ANNOTATION]: 'a' }),
        entry(2),
        entry(3, { [REF_NAME_ANNOTATION]: 'c', keep: 'me' }),
      ],
    };
    const next = applyRoots(start, [
      { name: 'a', desc: image(1) },
      { name: 'b', desc: image(2) },
      { name: 'c', desc: image(1) },
      { desc: image(3) },
      { desc: image(4) },
    ]);
    expect(next.manifests.map((e) => [e.digest, entryName(e), e.annotations?.keep])).toEqual([
      [image(1).digest, 'a', undefined],
      [image(2).digest, 'b', undefined],
      [image(3).digest, undefined, 'me'],
      [image(1).digest, 'c', undefined],
      [image(4).digest, undefined, undefined],
    ]);
    expect(untagName(next, 'c').manifests).toHaveLength(4);
    expect(untagName(next, 'b').manifests.map(entryName)).toEqual([
      'a',
      undefined,
      undefined,
      'c',
      undefined,
    ]);
  });
});
