import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { discoverImages, type DiscoveryResult } from '../../../src/airgap/discovery';
import { makeTempDir, removeTempDirs, runOk, testHelm } from '../../harness';
import { BACKUP_DIGEST, CHART_FILES, LIST_FILES, MANIFEST_FILES, writeTree } from './fixture-context';

/** `normalized → ["file:line how", …]`: the whole answer, compact enough to read in a failure. */
function summary(result: DiscoveryResult): Record<string, string[]> {
  return Object.fromEntries(
    result.images.map((image) => [
      image.normalized,
      image.sources.map((s) => `${s.file}:${s.line} ${s.how}`),
    ]),
  );
}

const BACKUP = `registry.example.com/tools/backup:1.0@${BACKUP_DIGEST}`;

/** What every mode finds outside charts: manifests, the APP manifest, the lists. */
const NOT_FROM_CHARTS: Record<string, string[]> = {
  'docker-archive:images/app.tar': ['images/shim/extra.txt:4 shim-list'],
  'docker.io/library/alpine:3.20': [
    'manifests/apps.yaml:12 manifest:CronJob:spec.jobTemplate.spec.template.spec.initContainers[0].image',
  ],
  'docker.io/library/nginx:latest': ['manifests/apps.yaml:23 manifest:Pod:spec.containers[0].image'],
  'docker.io/library/postgres:16': ['manifests/apps.yaml:37 manifest:Database:spec.engine.image'],
  'docker.io/library/redis:7': ['images/shim/extra.txt:2 shim-list'],
  'ghcr.io/acme/cli:0.1': ['LIST:2 image-list-flag'],
  'ghcr.io/acme/web-extra:1.0': ['charts/web/Chart.yaml:8 chart-annotation:helm.sh/images'],
  'oci-archive:images/other.tar:app': ['images/skopeo/tar.txt:1 skopeo-tar-list'],
  'quay.io/acme/agent:3': ['manifests/apps.yaml:39 manifest:Database:spec.sidecars[0].image'],
  'quay.io/acme/app-extra:1': [
    'apps/extra/deploy.yml:8 manifest:DaemonSet:spec.template.spec.containers[0].image',
  ],
  'quay.io/acme/data:v1': ['manifests/apps.yaml:30 manifest:Pod:spec.volumes[0].image.reference'],
  'quay.io/acme/listed:1': [
    'manifests/more/list.json:17 manifest:Deployment:items[0].spec.template.spec.containers[0].image',
  ],
  [BACKUP]: [
    'manifests/apps.yaml:15 manifest:CronJob:spec.jobTemplate.spec.template.spec.containers[0].image',
  ],
};

const EPHEMERAL_BUSYBOX = 'manifests/apps.yaml:26 manifest:Pod:spec.ephemeralContainers[0].image';

let context: string;
let imageList: string;
let ignoreList: string;

beforeAll(async () => {
  context = await makeTempDir('kimg-discovery-');
  await writeTree(context, { ...CHART_FILES, ...MANIFEST_FILES, ...LIST_FILES });
  const outside = await makeTempDir('kimg-discovery-lists-');
  imageList = join(outside, 'images.txt');
  ignoreList = join(outside, 'ignore.txt');
  await writeFile(imageList, '# added with --image-list\nghcr.io/acme/cli:0.1\n');
  // A bare repository ignores every tag of it; nginx:9.9 matches nothing and is reported.
  await writeFile(ignoreList, 'quay.io/acme/ignored\nnginx:9.9\n');
});
afterAll(removeTempDirs);

function options(helm: string | false) {
  return {
    helm,
    imageLists: [imageList],
    ignoreLists: [ignoreList],
    apps: [{ name: 'web', kind: 'app' as const, sources: ['charts/web', './apps/extra/deploy.yml'] }],
    env: { PATH: '' },
  };
}

function withList(expected: Record<string, string[]>): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(expected).map(([name, sources]) => [
      name,
      sources.map((s) => s.replace(/^LIST:/, `${imageList}:`)),
    ]),
  );
}

describe('discoverImages with Helm', () => {
  it('finds exactly the images of manifests, the rendered chart, the annotation and the lists, with provenance', async () => {
    const result = await discoverImages(context, options(await testHelm()));
    expect(summary(result)).toEqual(
      withList({
        ...NOT_FROM_CHARTS,
        // The hook Job is rendered (hooks included); its busybox is the ephemeral container's, one image.
        'docker.io/library/busybox:1.36': [
          'charts/web/templates/hook-job.yaml:13 chart:web:web/templates/hook-job.yaml',
          EPHEMERAL_BUSYBOX,
        ],
        // The override's tag wins over values.yaml; the template composes registry/repository:tag.
        'quay.io/acme/web:2.1': [
          'charts/web/templates/deployment.yaml:10 chart:web:web/templates/deployment.yaml',
        ],
        // The enabled subchart, under the override's global.imageRegistry.
        'registry.example.com/acme/cache:7': [
          'charts/web/charts/cache/templates/statefulset.yaml:10 chart:web:web/charts/cache/templates/statefulset.yaml',
        ],
      }),
    );
    // Left out: the test pod (quay.io/acme/test-only), the disabled subchart (acme/metrics), the ignored image,
    // and manifests/notes.txt (not YAML by name). The unused ignore entry is reported.
    expect(result.warnings).toEqual([
      `${ignoreList}:2: ignore entry "nginx:9.9" matched no discovered image`,
    ]);
  });

  it('keeps references exactly as written, digests included, and gives columns', async () => {
    const result = await discoverImages(context, options(await testHelm()));
    const backup = result.images.find((image) => image.normalized === BACKUP);
    expect(backup?.reference).toBe(BACKUP);
    expect(backup?.sources[0]).toEqual({
      file: 'manifests/apps.yaml',
      line: 15,
      column: 22,
      how: 'manifest:CronJob:spec.jobTemplate.spec.template.spec.containers[0].image',
      written: BACKUP,
    });
    const busybox = result.images.find((image) => image.normalized === 'docker.io/library/busybox:1.36');
    expect(busybox?.reference).toBe('busybox:1.36');
    expect(busybox?.sources.map((source) => source.written)).toEqual([
      'busybox:1.36',
      'docker.io/library/busybox:1.36',
    ]);
    const archive = result.images.find((image) => image.normalized.startsWith('docker-archive:'));
    expect(archive?.location).toEqual({ transport: 'docker-archive', file: 'images/app.tar' });
  });

  it('gives the same answer twice (deterministic order)', async () => {
    const first = await discoverImages(context, options(await testHelm()));
    const second = await discoverImages(context, options(await testHelm()));
    expect(JSON.stringify(second)).toBe(JSON.stringify(first));
  });

  it('finds Helm through KIMG_HELM, then PATH', async () => {
    const helm = await testHelm();
    const viaEnv = await discoverImages(context, { env: { KIMG_HELM: helm, PATH: '' } });
    expect(viaEnv.images.map((image) => image.normalized)).toContain('quay.io/acme/web:2.1');
    expect(viaEnv.warnings.some((warning) => warning.includes('not rendered'))).toBe(false);
    const bin = await makeTempDir('kimg-discovery-path-');
    await symlink(helm, join(bin, 'helm'));
    const viaPath = await discoverImages(context, { env: { PATH: `/nonexistent:${bin}` } });
    expect(JSON.stringify(viaPath.images)).toBe(JSON.stringify(viaEnv.images));
    await expect(
      discoverImages(context, { env: { KIMG_HELM: join(context, 'no-helm'), PATH: '' } }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('(from KIMG_HELM) is not an executable file'),
    });
  });
});

describe('discoverImages without Helm (values best effort)', () => {
  it('reads the values conventions, honours the subchart conditions and warns naming the chart', async () => {
    const result = await discoverImages(context, options(false));
    expect(summary(result)).toEqual(
      withList({
        ...NOT_FROM_CHARTS,
        'docker.io/library/busybox:1.36': ['charts/web/values.yaml:8 chart-values', EPHEMERAL_BUSYBOX],
        // {registry, repository, tag}: repository's line in values.yaml, tag from the override.
        'quay.io/acme/web:2.1': ['charts/web/values.yaml:5 chart-values'],
        // No registry in the map: global.imageRegistry of the override.
        'registry.example.com/acme/cache:7': ['charts/web/charts/cache/values.yaml:2 chart-values'],
      }),
    );
    expect(result.warnings).toEqual([
      'chart charts/web not rendered: Helm not found; its images were read from its values files, best effort ' +
        '(install helm on PATH, set KIMG_HELM, or pass --helm PATH)',
      `${ignoreList}:2: ignore entry "nginx:9.9" matched no discovered image`,
    ]);
  });

  it('uses the chart appVersion when a map has no tag, and digest over tag', async () => {
    const dir = await makeTempDir('kimg-discovery-values-');
    await writeTree(dir, {
      'charts/app/Chart.yaml': 'apiVersion: v2\nname: app\nversion: 1.0.0\nappVersion: 3.4.5\n',
      'charts/app/values.yaml': [
        'server:',
        '  image: {repository: acme/server}',
        'worker:',
        `  image: {registry: ghcr.io, repository: acme/worker, tag: "1", digest: "${BACKUP_DIGEST}"}`,
        'placeholder:',
        '  image: "{{ .Values.x }}"',
        '',
      ].join('\n'),
    });
    const result = await discoverImages(dir, { helm: false });
    expect(summary(result)).toEqual({
      'docker.io/acme/server:3.4.5': ['charts/app/values.yaml:2 chart-values'],
      [`ghcr.io/acme/worker@${BACKUP_DIGEST}`]: ['charts/app/values.yaml:4 chart-values'],
    });
    expect(result.warnings[1]).toBe(
      'charts/app/values.yaml:6: values name "{{ .Values.x }}", which is not an image reference; skipped',
    );
  });
});

describe('APP sources and packaged charts', () => {
  it('renders a packaged chart (.tgz) with its override beside it; without Helm it only warns', async () => {
    const helm = await testHelm();
    const dir = await makeTempDir('kimg-discovery-tgz-');
    await writeTree(dir, CHART_FILES);
    const packaged = await makeTempDir('kimg-discovery-tgz-ctx-');
    await runOk(helm, ['package', join(dir, 'charts', 'web'), '--destination', join(packaged, 'charts')]);
    await writeTree(packaged, {
      'charts/web-0.1.0.values.yaml': CHART_FILES['charts/web.values.yaml'] as string,
    });
    const rendered = await discoverImages(packaged, { helm });
    expect(summary(rendered)).toEqual({
      'docker.io/library/busybox:1.36': [
        'charts/web-0.1.0.tgz/templates/hook-job.yaml:13 chart:web-0.1.0:web/templates/hook-job.yaml',
      ],
      'quay.io/acme/web:2.1': [
        'charts/web-0.1.0.tgz/templates/deployment.yaml:10 chart:web-0.1.0:web/templates/deployment.yaml',
      ],
      'registry.example.com/acme/cache:7': [
        'charts/web-0.1.0.tgz/charts/cache/templates/statefulset.yaml:10 chart:web-0.1.0:web/charts/cache/templates/statefulset.yaml',
      ],
    });
    const unread = await discoverImages(packaged, { helm: false });
    expect(unread.images).toEqual([]);
    expect(unread.warnings).toEqual([
      "chart charts/web-0.1.0.tgz not rendered: Helm not found, and a packaged chart's values are not read " +
        'without it (install helm on PATH, set KIMG_HELM, or pass --helm PATH)',
    ]);
  });

  it('warns about remote sources and refuses sources outside the context or missing from it', async () => {
    const dir = await makeTempDir('kimg-discovery-apps-');
    await writeTree(dir, { 'app/notes.md': 'hello\n' });
    const remote = await discoverImages(dir, {
      helm: false,
      apps: [
        { name: 'net', kind: 'cni', sources: ['https://example.com/calico.yaml', 'app/notes.md'] },
        { name: 'db', kind: 'app', sources: ['oci://registry.example.com/charts/db:1.0'] },
      ],
    });
    expect(remote).toEqual({
      images: [],
      warnings: [
        'CNI net: remote source https://example.com/calico.yaml is not searched for images',
        'CNI net: source app/notes.md is neither a chart nor a manifest; not searched for images',
        'APP db: remote source oci://registry.example.com/charts/db:1.0 is not searched for images',
      ],
    });
    await expect(
      discoverImages(dir, { apps: [{ name: 'x', kind: 'app', sources: ['../elsewhere/chart'] }] }),
    ).rejects.toMatchObject({
      code: 'DISCOVERY_INPUT_INVALID',
      message: 'APP x: source ../elsewhere/chart is outside the build context',
    });
    await expect(
      discoverImages(dir, { apps: [{ name: 'x', kind: 'csi', sources: ['missing.yaml'] }] }),
    ).rejects.toMatchObject({ message: 'CSI x: source missing.yaml is not in the build context' });
  });
});

describe('Helm capabilities', () => {
  it('passes kubeVersion to helm template for charts that require a Kubernetes version', async () => {
    const dir = await makeTempDir('kimg-discovery-kube-');
    await writeTree(dir, {
      'charts/future/Chart.yaml': 'apiVersion: v2\nname: future\nversion: 0.1.0\nkubeVersion: ">=1.99.0-0"\n',
      'charts/future/templates/pod.yaml':
        'kind: Pod\nspec:\n  containers:\n    - image: quay.io/acme/future:1\n',
    });
    const helm = await testHelm();
    await expect(discoverImages(dir, { helm })).rejects.toMatchObject({
      code: 'HELM_FAILED',
      message: expect.stringMatching(/^chart charts\/future does not render: .*kubeVersion/),
    });
    const result = await discoverImages(dir, { helm, kubeVersion: 'v1.99.0' });
    expect(summary(result)).toEqual({
      'quay.io/acme/future:1': ['charts/future/templates/pod.yaml:4 chart:future:future/templates/pod.yaml'],
    });
  });
});
