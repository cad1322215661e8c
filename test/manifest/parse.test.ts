import { digestOf } from '../../src/digest';
import { isKimgError } from '../../src/errors';
import {
  manifestChildren,
  MAX_CONFIG_BYTES,
  MAX_MANIFEST_BYTES,
  MediaType,
  parseImageConfig,
  parseManifest,
} from '../../src/manifest';

const bytes = (value: unknown) => Buffer.from(JSON.stringify(value));
const descriptor = (mediaType: string, content: string) => ({
  mediaType,
  digest: digestOf(content),
  size: content.length,
});
const config = descriptor(MediaType.OciConfig, '{}');
const layer = descriptor(MediaType.OciLayerGzip, 'layer');

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (isKimgError(err)) return err.code;
    throw err;
  }
  return undefined;
}

describe('parseManifest: kind detection', () => {
  test.each([
    [
      'OCI manifest',
      { schemaVersion: 2, mediaType: MediaType.OciManifest, config, layers: [layer] },
      undefined,
      'manifest',
      MediaType.OciManifest,
    ],
    [
      'Docker manifest',
      {
        schemaVersion: 2,
        mediaType: MediaType.DockerManifest,
        config: { ...config, mediaType: MediaType.DockerConfig },
        layers: [],
      },
      undefined,
      'manifest',
      MediaType.DockerManifest,
    ],
    [
      'OCI index',
      { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] },
      undefined,
      'index',
      MediaType.OciIndex,
    ],
    [
      'Docker manifest list',
      { schemaVersion: 2, mediaType: MediaType.DockerManifestList, manifests: [] },
      undefined,
      'index',
      MediaType.DockerManifestList,
    ],
    // image-spec: mediaType is optional in the document; the declared one (Content-Type, descriptor) decides.
    [
      'index without mediaType, declared',
      { schemaVersion: 2, manifests: [] },
      MediaType.DockerManifestList,
      'index',
      MediaType.DockerManifestList,
    ],
    [
      'manifest without mediaType, declared',
      { schemaVersion: 2, config, layers: [] },
      MediaType.OciManifest,
      'manifest',
      MediaType.OciManifest,
    ],
    // …and without either, the shape decides.
    ['index by shape', { schemaVersion: 2, manifests: [] }, undefined, 'index', MediaType.OciIndex],
    [
      'manifest by shape',
      { schemaVersion: 2, config, layers: [] },
      undefined,
      'manifest',
      MediaType.OciManifest,
    ],
  ])('%s', (_name, document, declared, kind, mediaType) => {
    const parsed = parseManifest(bytes(document), declared);
    expect(parsed.kind).toBe(kind);
    expect(parsed.mediaType).toBe(mediaType);
  });

  test('the document mediaType wins over the declared one', () => {
    const document = { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] };
    expect(parseManifest(bytes(document), MediaType.OciManifest).kind).toBe('index');
  });

  test('children: config then layers, or the index entries', () => {
    const manifest = parseManifest(bytes({ schemaVersion: 2, config, layers: [layer] }));
    expect(manifestChildren(manifest)).toEqual([config, layer]);
    const entry = {
      ...descriptor(MediaType.OciManifest, 'm'),
      platform: { os: 'linux', architecture: 'arm64' },
    };
    expect(manifestChildren(parseManifest(bytes({ schemaVersion: 2, manifests: [entry] })))).toEqual([entry]);
  });
});

describe('parseManifest: unknown fields are kept', () => {
  test('at the top level, in descriptors and in platforms', () => {
    const entry = {
      ...descriptor(MediaType.OciManifest, 'm'),
      'x-extra': 1,
      platform: { os: 'linux', architecture: 'amd64', 'x-cpu': 'fast' },
    };
    const document = {
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: [entry],
      'x-top': { nested: true },
    };
    const parsed = parseManifest(bytes(document));
    expect(parsed.kind === 'index' && parsed.index).toEqual(document);
  });
});

describe('parseManifest: refusals', () => {
  test.each([
    ['schema 1', { schemaVersion: 1, name: 'library/nginx', tag: 'latest', fsLayers: [] }, 'UNSUPPORTED'],
    ['not JSON', '{"schemaVersion":', 'MANIFEST_INVALID'],
    ['a JSON array', [], 'MANIFEST_INVALID'],
    ['JSON null', null, 'MANIFEST_INVALID'],
    ['schemaVersion 3', { schemaVersion: 3, config, layers: [] }, 'MANIFEST_INVALID'],
    ['missing layers', { schemaVersion: 2, mediaType: MediaType.OciManifest, config }, 'MANIFEST_INVALID'],
    [
      'bad layer digest',
      { schemaVersion: 2, config, layers: [{ ...layer, digest: 'sha256:abc' }] },
      'MANIFEST_INVALID',
    ],
    ['negative size', { schemaVersion: 2, config: { ...config, size: -1 }, layers: [] }, 'MANIFEST_INVALID'],
    [
      'index entry without digest',
      { schemaVersion: 2, manifests: [{ mediaType: MediaType.OciManifest, size: 1 }] },
      'MANIFEST_INVALID',
    ],
  ])('%s', (_name, document, code) => {
    const input = typeof document === 'string' ? Buffer.from(document) : bytes(document);
    expect(codeOf(() => parseManifest(input))).toBe(code);
  });

  test('schema 1 gets a hint saying how to convert', () => {
    try {
      parseManifest(bytes({ schemaVersion: 1 }));
      throw new Error('not refused');
    } catch (err) {
      expect(isKimgError(err) && err.hint).toMatch(/convert/);
    }
  });

  test('a manifest over the limit is refused before it is parsed', () => {
    const big = Buffer.alloc(MAX_MANIFEST_BYTES + 1, 0x20);
    expect(codeOf(() => parseManifest(big))).toBe('SIZE_LIMIT');
  });

  test('a manifest exactly at the limit is read', () => {
    const document = bytes({ schemaVersion: 2, config, layers: [] });
    const padded = Buffer.concat([document, Buffer.alloc(MAX_MANIFEST_BYTES - document.length, 0x20)]);
    expect(parseManifest(padded).kind).toBe('manifest');
  });
});

describe('parseImageConfig', () => {
  const diffId = digestOf('diff');
  const valid = {
    architecture: 'amd64',
    os: 'linux',
    config: { Env: ['PATH=/bin'], Cmd: null, Labels: { 'sealos.io.type': 'rootfs' } },
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created_by: 'COPY . .', empty_layer: false }],
    'x-unknown': [1, 2],
  };

  test('reads OCI and Docker configs and keeps unknown fields', () => {
    const parsed = parseImageConfig(bytes(valid));
    expect(parsed).toEqual(valid);
    expect(parsed.config?.Labels?.['sealos.io.type']).toBe('rootfs');
    const docker = { ...valid, container_config: { Hostname: 'x' }, docker_version: '24.0.0' };
    expect(parseImageConfig(bytes(docker))).toEqual(docker);
  });

  test.each([
    ['no rootfs', { architecture: 'amd64', os: 'linux' }, 'CONFIG_INVALID'],
    ['rootfs type other than layers', { ...valid, rootfs: { type: 'tar', diff_ids: [] } }, 'CONFIG_INVALID'],
    ['bad diff_id', { ...valid, rootfs: { type: 'layers', diff_ids: ['nope'] } }, 'CONFIG_INVALID'],
    ['no architecture', { os: 'linux', rootfs: valid.rootfs }, 'CONFIG_INVALID'],
  ])('%s', (_name, document, code) => {
    expect(codeOf(() => parseImageConfig(bytes(document)))).toBe(code);
  });

  test('a config over the limit is refused', () => {
    expect(codeOf(() => parseImageConfig(Buffer.alloc(MAX_CONFIG_BYTES + 1, 0x20)))).toBe('SIZE_LIMIT');
  });

  test('invalid JSON in a config is CONFIG_INVALID, naming what was read', () => {
    expect(codeOf(() => parseImageConfig(Buffer.from('{')))).toBe('CONFIG_INVALID');
    expect(() => parseImageConfig(Buffer.from('{'), 'config of app:1')).toThrow(/config of app:1/);
  });
});
