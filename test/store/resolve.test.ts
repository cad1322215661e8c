import { describe, expect, it } from '@jest/globals';
import { REF_NAME_ANNOTATION } from '../../src/manifest';
import { resolveIn, verbatimPolicy, type IndexFile } from '../../src/store';
import { STORE_NAME_POLICY } from '../../src/transport/local';

const digest = (hex: string): `${string}:${string}` => `sha256:${hex.padEnd(64, '0')}`;
const entry = (hex: string, name?: string): IndexFile['manifests'][number] => ({
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest: digest(hex),
  size: 100,
  ...(name ? { annotations: { [REF_NAME_ANNOTATION]: name } } : {}),
});
const index = (...manifests: IndexFile['manifests']): IndexFile => ({ schemaVersion: 2, manifests });

describe('resolveIn', () => {
  const store = index(
    entry('abcd1', 'docker.io/library/a:1'),
    entry('abcd2', 'docker.io/library/b:latest'),
    entry('abcd2', 'docker.io/library/c:latest'),
    entry('ffff'),
  );

  it('finds names after normalizing them, and every entry of the image', () => {
    expect(resolveIn(store, 'a:1', STORE_NAME_POLICY, 'store').digest).toBe(digest('abcd1'));
    const b = resolveIn(store, 'b', STORE_NAME_POLICY, 'store');
    expect(b).toMatchObject({ digest: digest('abcd2'), name: 'docker.io/library/b:latest' });
    expect(b.entries).toHaveLength(2);
  });

  it('finds full digests and unique ID prefixes of at least 4 digits', () => {
    expect(resolveIn(store, digest('ffff'), STORE_NAME_POLICY, 'store').digest).toBe(digest('ffff'));
    expect(resolveIn(store, 'ffff', STORE_NAME_POLICY, 'store').digest).toBe(digest('ffff'));
    expect(resolveIn(store, 'abcd2', STORE_NAME_POLICY, 'store').digest).toBe(digest('abcd2'));
    expect(() => resolveIn(store, 'abcd', STORE_NAME_POLICY, 'store')).toThrow(
      expect.objectContaining({ code: 'AMBIGUOUS_IMAGE' }),
    );
    expect(() => resolveIn(store, 'fff', STORE_NAME_POLICY, 'store')).toThrow(
      expect.objectContaining({ code: 'IMAGE_NOT_FOUND' }),
    );
  });

  it('reports bad references and unknown images with hints', () => {
    expect(() => resolveIn(store, 'UPPER/case', STORE_NAME_POLICY, 'store')).toThrow(
      expect.objectContaining({ code: 'INVALID_REFERENCE' }),
    );
    expect(() => resolveIn(store, 'zzz', STORE_NAME_POLICY, 'store')).toThrow(
      expect.objectContaining({ code: 'IMAGE_NOT_FOUND', hint: expect.stringContaining('kimg images') }),
    );
  });

  it('resolves no ref only when the layout holds exactly one image', () => {
    expect(() => resolveIn(store, undefined, STORE_NAME_POLICY, 'store')).toThrow(
      expect.objectContaining({ code: 'AMBIGUOUS_IMAGE' }),
    );
    expect(
      resolveIn(index(entry('1', 'x'), entry('1', 'y')), undefined, verbatimPolicy('oci:d'), 'oci:d').digest,
    ).toBe(digest('1'));
    expect(() => resolveIn(index(), undefined, verbatimPolicy('oci:d'), 'oci:d')).toThrow(
      expect.objectContaining({ code: 'IMAGE_NOT_FOUND' }),
    );
  });

  it('keeps oci: refs verbatim and refuses names outside the ref.name grammar', () => {
    const layout = index(entry('1', 'latest'), entry('2', 'docker.io/library/x:1'));
    const policy = verbatimPolicy('oci:d');
    expect(resolveIn(layout, 'latest', policy, 'oci:d').digest).toBe(digest('1'));
    expect(resolveIn(layout, 'docker.io/library/x:1', policy, 'oci:d').digest).toBe(digest('2'));
    expect(() => resolveIn(layout, 'x:1', policy, 'oci:d')).toThrow(
      expect.objectContaining({ code: 'IMAGE_NOT_FOUND' }),
    );
    expect(() => resolveIn(layout, '2222', policy, 'oci:d')).toThrow(
      expect.objectContaining({ code: 'IMAGE_NOT_FOUND' }),
    );
    expect(() => resolveIn(layout, 'a b', policy, 'oci:d')).toThrow(
      expect.objectContaining({ code: 'INVALID_REFERENCE' }),
    );
  });
});
