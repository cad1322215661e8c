import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { kimg, kimgOk, makeTempDir, removeTempDirs, treeHash } from '../harness';
import { writeTree } from '../airgap/discovery/fixture-context';
import { writeImageLayout } from '../unpack/hostile-image';
import { symlink, tarOf } from '../unpack/hostile-tars';
import { hookOrder, readState } from './toy-cluster';

// `.tmpl` files under etc/, scripts/ and manifests/ are rendered as sealos renders them (Go text/template over
// the env) before the first hook, written without the suffix; a bad one stops the install with file:line:col
// before any hook runs; template folders that are symlinks are left alone.
let root: string;
let clusters: string;

async function build(name: string, files: Record<string, string>, labels: string): Promise<void> {
  const context = await makeTempDir('kimg-tmpl-');
  await writeTree(context, {
    Kubefile: `FROM scratch\nLABEL ${labels}\nENV GREETING=hello\nCOPY . ./\n`,
    ...files,
  });
  await kimgOk(['build', '-t', name, context], { root });
}

beforeAll(async () => {
  root = await makeTempDir('kimg-root-');
  clusters = join(root, 'clusters');
  await build(
    'tmpl/rootfs:1',
    {
      'etc/config.yaml.tmpl': [
        'greeting: {{ .GREETING | upper }}',
        '{{- if .COLOR }}',
        'color: {{ .COLOR | quote }}',
        '{{- else }}',
        'color: none',
        '{{- end }}',
        'kube: {{ .SEALOS_SYS_KUBE_VERSION }}',
        'port: {{ default "5000" .registryPort }}',
        '',
      ].join('\n'),
      'scripts/init.sh.tmpl': 'echo "init says {{ .GREETING }}" >>../../hook-order.txt\n',
      'manifests/nested/cm.yaml.tmpl': 'data: {{ list "a" "b" | toYaml | b64enc }}\n',
    },
    'sealos.io.type=rootfs sealos.io.version=v1.29.9 init=init.sh',
  );
  await build(
    'tmpl/broken:1',
    {
      'scripts/check.sh': 'echo check >>../../hook-order.txt\n',
      'etc/ok.conf.tmpl': 'fine\n',
      'etc/bad.conf.tmpl': 'line one\n{{ .A | nosuchfunc }}\n',
    },
    'sealos.io.type=rootfs sealos.io.version=v1.29.9 check=check.sh',
  );
}, 120_000);

afterAll(removeTempDirs);

describe('kimg install: templates', () => {
  it('renders .tmpl files with the env before the hooks, beside the template', async () => {
    const target = join(await makeTempDir('kimg-target-'), 'c');
    await kimgOk(['install', 'tmpl/rootfs:1', '--target', target, '--env', 'COLOR=blue'], {
      root,
      env: { KIMG_CLUSTERS_DIR: clusters },
    });
    const rootfs = join(target, 'rootfs');
    expect(await readFile(join(rootfs, 'etc', 'config.yaml'), 'utf8')).toBe(
      'greeting: HELLO\ncolor: "blue"\nkube: v1.29.9\nport: 5000\n',
    );
    expect(await readFile(join(rootfs, 'etc', 'config.yaml.tmpl'), 'utf8')).toContain(
      '{{ .GREETING | upper }}',
    );
    expect(await readFile(join(rootfs, 'manifests', 'nested', 'cm.yaml'), 'utf8')).toBe(
      `data: ${Buffer.from('- a\n- b').toString('base64')}\n`,
    );
    // The hook ran the rendered script.
    expect(await hookOrder(target)).toEqual(['init says hello']);
  });

  it('a template that cannot be rendered stops the install with file:line:col before any hook or file', async () => {
    const target = join(await makeTempDir('kimg-target-'), 'c');
    const result = await kimg(['install', 'tmpl/broken:1', '--cluster', 'broken', '--target', target], {
      root,
      env: { KIMG_CLUSTERS_DIR: clusters },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/kimg: error: rootfs\/etc\/bad\.conf\.tmpl:2:\d+: .*nosuchfunc/);
    expect(await hookOrder(target)).toEqual([]);
    await expect(stat(join(target, 'rootfs', 'etc', 'ok.conf'))).rejects.toThrow();
    const state = await readState(target);
    expect([state.status, state.failedStep, state.steps]).toEqual(['failed', 'templates', []]);
  });

  it('a template folder that is a symlink out of the target is not followed', async () => {
    const outside = await makeTempDir('kimg-outside-');
    await mkdir(join(outside, 'etc'));
    await writeTree(join(outside, 'etc'), { 'evil.conf.tmpl': '{{ .GREETING }}\n' });
    const before = await treeHash(outside);
    // kimg build refuses such a link in a context; a hand-made layer carries it.
    const layout = await makeTempDir('kimg-tmpl-layout-');
    await writeImageLayout(layout, 'link', [await tarOf([symlink('etc', join(outside, 'etc'))])]);
    await kimgOk(['copy', `oci:${layout}:link`, 'tmpl/link:1'], { root });
    const target = join(await makeTempDir('kimg-target-'), 'c');
    await kimgOk(['install', 'tmpl/link:1', '--cluster', 'link', '--target', target], {
      root,
      env: { KIMG_CLUSTERS_DIR: clusters },
    });
    expect(await treeHash(outside)).toBe(before);
  });
});
