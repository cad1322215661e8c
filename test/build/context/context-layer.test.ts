import { afterAll, describe, expect, it } from '@jest/globals';
import { link, mkdir, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { openBuildContext } from '../../../src/build/context';
import { writeLayer, writeLayerFile } from '../../../src/layer';
import { makeTempDir, removeTempDirs, runOk } from '../../harness';

afterAll(removeTempDirs);

/** The same tree in a fresh directory, every file stamped with `mtime`. */
async function rootfs(mtime: number): Promise<string> {
  const dir = await makeTempDir('kimg-rootfs-');
  await mkdir(join(dir, 'bin'));
  await mkdir(join(dir, 'etc', 'kubernetes'), { recursive: true });
  await writeFile(join(dir, 'bin', 'kubeadm'), Buffer.alloc(200_000, 'k'), { mode: 0o755 });
  await link(join(dir, 'bin', 'kubeadm'), join(dir, 'bin', 'kubeadm-hard'));
  await symlink('kubeadm', join(dir, 'bin', 'kubectl'));
  await writeFile(join(dir, 'etc', 'kubernetes', 'kubelet.yaml'), 'kind: KubeletConfiguration\n', {
    mode: 0o600,
  });
  for (const path of ['bin/kubeadm', 'etc/kubernetes/kubelet.yaml', 'bin', 'etc/kubernetes', 'etc', '.']) {
    await utimes(join(dir, path), mtime, mtime);
  }
  return dir;
}

const discard = () => new Writable({ write: (_chunk, _encoding, callback) => callback() });

describe('context → layer', () => {
  it('gives the same digest from two checkouts with different mtimes', async () => {
    const layers = [];
    for (const mtime of [1_000_000_000, 1_700_000_000]) {
      const context = await openBuildContext(await rootfs(mtime));
      const items = context.resolveSources(['.'], '/');
      layers.push(await writeLayer(context.layerEntries(items), discard(), { timestamp: 0 }));
    }
    expect(layers[1]).toEqual(layers[0]);
  });

  it('writes hardlinks as tar hardlinks and symlinks as symlinks', async () => {
    const context = await openBuildContext(await rootfs(1_000_000_000));
    const file = join(await makeTempDir('kimg-layer-'), 'layer.tar.gz');
    await writeLayerFile(context.layerEntries(context.resolveSources(['bin'], '/usr/local/bin')), file);
    const { stdout } = await runOk('tar', ['-tvzf', file, '--numeric-owner'], {
      env: { ...process.env, TZ: 'UTC' },
    });
    expect(stdout).toContain('usr/local/bin/kubeadm-hard link to usr/local/bin/kubeadm');
    expect(stdout).toContain('usr/local/bin/kubectl -> kubeadm');
    expect(stdout).toMatch(/-rwxr-xr-x 0\/0 +200000 1970-01-01 00:00 usr\/local\/bin\/kubeadm\n/);
  });
});
