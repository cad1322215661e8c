import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Writes `files` (path → text) below `root`, creating folders. */
export async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
}

export const BACKUP_DIGEST = `sha256:${'ab'.repeat(32)}`;

/**
 * A chart in the shapes real charts take: `{registry, repository, tag}` maps, `global.imageRegistry` given by the
 * sealos override file, a pre-install hook Job, a test pod (left out), two subcharts behind conditions (one on,
 * one off) and a `helm.sh/images` annotation in a block scalar. Line numbers matter: tests assert them.
 */
export const CHART_FILES: Record<string, string> = {
  'charts/web/Chart.yaml': [
    'apiVersion: v2',
    'name: web',
    'version: 0.1.0',
    'appVersion: "2.0.0"',
    'annotations:',
    '  helm.sh/images: |',
    '    - name: extra',
    '      image: ghcr.io/acme/web-extra:1.0',
    'dependencies:',
    '  - name: cache',
    '    version: 0.1.0',
    '    condition: cache.enabled',
    '  - name: metrics',
    '    version: 0.1.0',
    '    condition: metrics.enabled',
    '',
  ].join('\n'),
  'charts/web/values.yaml': [
    'global:',
    '  imageRegistry: ""',
    'image:',
    '  registry: quay.io',
    '  repository: acme/web',
    '  tag: "2.0"',
    'hook:',
    '  image: busybox:1.36',
    'cache:',
    '  enabled: true',
    'metrics:',
    '  enabled: false',
    '',
  ].join('\n'),
  // sealos: charts/<chart>.values.yaml overrides the chart's values.
  'charts/web.values.yaml': [
    'global:',
    '  imageRegistry: registry.example.com',
    'image:',
    '  tag: "2.1"',
    '',
  ].join('\n'),
  'charts/web/templates/deployment.yaml': [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: {{ .Release.Name }}',
    'spec:',
    '  template:',
    '    spec:',
    '      containers:',
    '        - name: web',
    '          image: "{{ .Values.image.registry }}/{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"',
    '',
  ].join('\n'),
  'charts/web/templates/hook-job.yaml': [
    'apiVersion: batch/v1',
    'kind: Job',
    'metadata:',
    '  name: {{ .Release.Name }}-migrate',
    '  annotations:',
    '    helm.sh/hook: pre-install',
    'spec:',
    '  template:',
    '    spec:',
    '      restartPolicy: Never',
    '      containers:',
    '        - name: migrate',
    '          image: {{ .Values.hook.image }}',
    '',
  ].join('\n'),
  'charts/web/templates/tests/test-connection.yaml': [
    'apiVersion: v1',
    'kind: Pod',
    'metadata:',
    '  name: {{ .Release.Name }}-test',
    '  annotations:',
    '    helm.sh/hook: test',
    'spec:',
    '  containers:',
    '    - name: probe',
    '      image: quay.io/acme/test-only:1',
    '',
  ].join('\n'),
  'charts/web/charts/cache/Chart.yaml': 'apiVersion: v2\nname: cache\nversion: 0.1.0\n',
  'charts/web/charts/cache/values.yaml': 'image:\n  repository: acme/cache\n  tag: "7"\n',
  'charts/web/charts/cache/templates/statefulset.yaml': [
    'apiVersion: apps/v1',
    'kind: StatefulSet',
    'metadata:',
    '  name: {{ .Release.Name }}-cache',
    'spec:',
    '  template:',
    '    spec:',
    '      containers:',
    '        - name: cache',
    '          image: "{{ with .Values.global.imageRegistry }}{{ . }}/{{ end }}{{ .Values.image.repository }}:{{ .Values.image.tag }}"',
    '',
  ].join('\n'),
  'charts/web/charts/metrics/Chart.yaml': 'apiVersion: v2\nname: metrics\nversion: 0.1.0\n',
  'charts/web/charts/metrics/values.yaml': 'image:\n  repository: acme/metrics\n  tag: "1"\n',
  'charts/web/charts/metrics/templates/daemonset.yaml': [
    'apiVersion: apps/v1',
    'kind: DaemonSet',
    'metadata:',
    '  name: {{ .Release.Name }}-metrics',
    'spec:',
    '  template:',
    '    spec:',
    '      containers:',
    '        - name: metrics',
    '          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"',
    '',
  ].join('\n'),
};

export const MANIFEST_FILES: Record<string, string> = {
  'manifests/apps.yaml': [
    'apiVersion: batch/v1', // 1
    'kind: CronJob',
    'metadata: {name: backup}',
    'spec:',
    '  schedule: "0 * * * *"', // 5
    '  jobTemplate:',
    '    spec:',
    '      template:',
    '        spec:',
    '          initContainers:', // 10
    '            - name: prep',
    '              image: alpine:3.20',
    '          containers:',
    '            - name: backup',
    `              image: registry.example.com/tools/backup:1.0@${BACKUP_DIGEST}`, // 15
    '---',
    'apiVersion: v1',
    'kind: Pod',
    'metadata: {name: debug}',
    'spec:', // 20
    '  containers:',
    '    - name: main',
    '      image: nginx',
    '  ephemeralContainers:',
    '    - name: dbg', // 25
    '      image: docker.io/library/busybox:1.36',
    '  volumes:',
    '    - name: data',
    '      image:',
    '        reference: quay.io/acme/data:v1', // 30
    '---',
    'apiVersion: example.com/v1',
    'kind: Database',
    'metadata: {name: db}',
    'spec:', // 35
    '  engine:',
    '    image: "postgres:16"',
    '  sidecars:',
    '    - image: quay.io/acme/agent:3',
    '',
  ].join('\n'),
  'manifests/more/list.json': JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'List',
      items: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'listed' },
          spec: { template: { spec: { containers: [{ name: 'x', image: 'quay.io/acme/listed:1' }] } } },
        },
      ],
    },
    null,
    2,
  ),
  'manifests/notes.txt': 'image: not-read/because:txt\n',
  'apps/extra/deploy.yml': [
    'apiVersion: apps/v1',
    'kind: DaemonSet',
    'metadata: {name: extra}',
    'spec:',
    '  template:',
    '    spec:',
    '      containers:',
    '        - {name: extra, image: "quay.io/acme/app-extra:1"}',
    '',
  ].join('\n'),
};

export const LIST_FILES: Record<string, string> = {
  'images/shim/extra.txt': [
    '# images the manifests do not name', // 1
    'redis:7',
    '',
    'docker-archive:images/app.tar   # saved by docker save',
    'quay.io/acme/ignored:1', // 5
    '',
  ].join('\n'),
  'images/skopeo/tar.txt': 'oci-archive:images/other.tar:app\n',
};
