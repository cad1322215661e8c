import { describe, expect, it } from '@jest/globals';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { resolveChownNames } from '../../../src/build/execute/chown-names';
import { lookupPaths } from '../../../src/build/execute/image-paths';
import type { StageImage } from '../../../src/build/image/stage-image';
import type { Descriptor } from '../../../src/manifest/descriptor';
import type { ReadOnlyTarget } from '../../../src/transport/types';

type Member = { name: string; type?: 'file' | 'directory' | 'symlink'; content?: string };

async function tarOf(members: Member[]): Promise<Buffer> {
  const p = pack();
  for (const m of members) {
    if (m.type === 'directory') p.entry({ name: m.name, type: 'directory' });
    else if (m.type === 'symlink') p.entry({ name: m.name, type: 'symlink', linkname: 'x' });
    else p.entry({ name: m.name }, m.content ?? '');
  }
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of p) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A stage whose layers (bottom first) are uncompressed tars served by a minimal in-memory target. */
async function stageOf(layers: Member[][]): Promise<{ stage: StageImage; store: ReadOnlyTarget }> {
  const blobs = new Map<string, Buffer>();
  const descriptors: Descriptor[] = [];
  for (const [i, members] of layers.entries()) {
    const bytes = await tarOf(members);
    const digest = `sha256:${String(i).padStart(64, '0')}`;
    blobs.set(digest, bytes);
    descriptors.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest, size: bytes.length });
  }
  const store = {
    fetch: async (d: Descriptor) => Readable.from([blobs.get(d.digest) as Buffer]),
  } as unknown as ReadOnlyTarget;
  const stage: StageImage = {
    platform: { os: 'linux', architecture: 'amd64' },
    runConfig: {},
    extra: {},
    layers: descriptors,
    diffIds: descriptors.map((d) => d.digest),
    history: [],
  };
  return { stage, store };
}

describe('lookupPaths: the top layer that mentions a path decides', () => {
  it('entries, implied directories, whiteouts, opaque directories, replaced parents', async () => {
    const { stage, store } = await stageOf([
      [
        { name: 'etc/passwd', content: 'old' },
        { name: 'opt/a/file' },
        { name: 'srv/', type: 'directory' },
        { name: 'var/lib/x/y' },
        { name: 'home/u/.profile' },
        { name: 'link', type: 'symlink' },
      ],
      [{ name: 'etc/passwd', content: 'new' }, { name: 'srv/.wh.gone' }, { name: 'var/.wh..wh..opq' }],
      [{ name: './etc/group', content: 'g' }, { name: '.wh.srv' }, { name: 'home', content: 'now a file' }],
    ]);
    const paths = ['etc/passwd', 'etc/group', 'opt/a', 'srv', 'var/lib/x', 'home/u', 'link', 'nothing'];
    const found = await lookupPaths(stage, store, paths);
    expect(
      Object.fromEntries(
        [...found].map(([p, s]) => [
          p,
          s && { ...s, content: s.type === 'file' ? s.content?.toString() : undefined },
        ]),
      ),
    ).toEqual({
      'etc/passwd': { type: 'file', content: 'new' },
      'etc/group': { type: 'file', content: 'g' },
      'opt/a': { type: 'directory', content: undefined },
      srv: undefined,
      'var/lib/x': undefined,
      'home/u': undefined,
      link: { type: 'other', content: undefined },
      nothing: undefined,
    });
  });

  it('resolveChownNames: user → primary group, user:group, whiteout of /etc/passwd → no file', async () => {
    const passwd = 'root:x:0:0::/:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n';
    const { stage, store } = await stageOf([
      [
        { name: 'etc/passwd', content: passwd },
        { name: 'etc/group', content: 'root:x:0:\nstaff:x:50:app\n' },
      ],
    ]);
    expect(await resolveChownNames({ user: 'app' }, stage, store)).toEqual({ uid: 1000, gid: 1001 });
    expect(await resolveChownNames({ user: 'app', group: 'staff' }, stage, store)).toEqual({
      uid: 1000,
      gid: 50,
    });
    expect(await resolveChownNames({ user: '5', group: 'staff' }, stage, store)).toEqual({ uid: 5, gid: 50 });
    const removed = await stageOf([[{ name: 'etc/passwd', content: passwd }], [{ name: 'etc/.wh.passwd' }]]);
    await expect(resolveChownNames({ user: 'app' }, removed.stage, removed.store)).rejects.toThrow(
      /the image has no \/etc\/passwd/,
    );
  });
});
