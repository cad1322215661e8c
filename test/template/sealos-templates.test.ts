import { describe, expect, it } from '@jest/globals';
import { renderTemplate } from '../../src/template';

/**
 * Templates modelled on the `.tmpl` files of real sealos images (labring-actions/runtime: containerd, k8s, k3s,
 * registry; labring-actions/cluster-image: csi-driver-nfs, piraeus; sealos' own lifecycle/pkg/env test), rendered
 * over env as sealos passes it (a map of strings). Expected outputs follow Go's rules: trim markers eat the
 * newline and indentation before `{{-`, missing keys are `<no value>` unless `default` catches them, and `and`/`or`
 * stop at the deciding argument (which is what keeps `semverCompare` from seeing a missing version).
 */
const env = {
  registryDomain: 'sealos.hub',
  registryPort: '5000',
  registryUsername: 'admin',
  registryPassword: 'passw0rd',
  registryData: '/var/lib/registry',
  registryConfig: '/etc/registry',
  criData: '/var/lib/containerd',
  sandboxImage: 'pause:3.9',
  disableApparmor: 'false',
  SEALOS_SYS_CRI_ENDPOINT: '/var/run/containerd/containerd.sock',
  SEALOS_SYS_IMAGE_ENDPOINT: '/var/run/image-cri-shim.sock',
};

describe('sealos rootfs and application templates', () => {
  it('renders containerd config.toml (runtime/containerd/etc/config.toml.tmpl)', () => {
    const text = [
      'version = 2',
      'root = "{{ .criData }}"',
      '[plugins]',
      '  [plugins."io.containerd.grpc.v1.cri"]',
      '    sandbox_image = "{{ .registryDomain }}:{{ .registryPort }}/{{ .sandboxImage }}"',
      '    disable_apparmor = {{ .disableApparmor }}',
      '    [plugins."io.containerd.grpc.v1.cri".registry.configs."{{ .registryDomain }}:{{ .registryPort }}".auth]',
      '      username = "{{ .registryUsername }}"',
      '      password = "{{ .registryPassword }}"',
      '',
    ].join('\n');
    expect(renderTemplate(text, env, 'etc/config.toml.tmpl')).toBe(
      [
        'version = 2',
        'root = "/var/lib/containerd"',
        '[plugins]',
        '  [plugins."io.containerd.grpc.v1.cri"]',
        '    sandbox_image = "sealos.hub:5000/pause:3.9"',
        '    disable_apparmor = false',
        '    [plugins."io.containerd.grpc.v1.cri".registry.configs."sealos.hub:5000".auth]',
        '      username = "admin"',
        '      password = "passw0rd"',
        '',
      ].join('\n'),
    );
  });

  it('renders hosts.toml and leaves <no value> for a key the env lacks, as sealos does', () => {
    const text =
      'server = "http://{{ .registryDomain }}:{{ .registryPort }}"\nmirror = "{{ .mirrorHost }}"\n';
    expect(renderTemplate(text, env, 'etc/hosts.toml.tmpl')).toBe(
      'server = "http://sealos.hub:5000"\nmirror = "<no value>"\n',
    );
  });

  it('renders kubelet.service with default for BIN_DIR (runtime/k8s/etc/kubelet.service.tmpl)', () => {
    const text =
      'ExecStart={{ default "/usr/bin" .BIN_DIR }}/kubelet\nExecStartPre=-{{ default "/usr/bin" .BIN_DIR }}/kubelet-pre-start.sh\n';
    expect(renderTemplate(text, env, 'etc/kubelet.service.tmpl')).toBe(
      'ExecStart=/usr/bin/kubelet\nExecStartPre=-/usr/bin/kubelet-pre-start.sh\n',
    );
    expect(renderTemplate(text, { ...env, BIN_DIR: '/opt/bin' }, 'etc/kubelet.service.tmpl')).toBe(
      'ExecStart=/opt/bin/kubelet\nExecStartPre=-/opt/bin/kubelet-pre-start.sh\n',
    );
    // An empty value is empty to `default` too.
    expect(renderTemplate(text, { ...env, BIN_DIR: '' }, 'etc/kubelet.service.tmpl')).toBe(
      'ExecStart=/usr/bin/kubelet\nExecStartPre=-/usr/bin/kubelet-pre-start.sh\n',
    );
  });

  describe('10-kubeadm.conf (runtime/k8s/etc/systemd/system/kubelet.service.d/10-kubeadm.conf.tmpl)', () => {
    const text = [
      'Environment="KUBELET_EXTRA_ARGS= \\',
      '              {{ if or (not .SEALOS_SYS_KUBE_VERSION) (eq .SEALOS_SYS_KUBE_VERSION "") (not (semverCompare "^1.27.0" .SEALOS_SYS_KUBE_VERSION)) }}--container-runtime=remote{{ end }} \\',
      '              {{ if or (not .SEALOS_SYS_KUBE_VERSION) (eq .SEALOS_SYS_KUBE_VERSION "") (not (semverCompare "^1.27.0" .SEALOS_SYS_KUBE_VERSION)) }}--pod-infra-container-image={{ .registryDomain }}:{{ .registryPort }}/{{ .sandboxImage }}{{ end }} \\',
      '              --container-runtime-endpoint=unix://{{ .SEALOS_SYS_CRI_ENDPOINT }}"',
      'ExecStart={{ default "/usr/bin" .BIN_DIR }}/kubelet $KUBELET_EXTRA_ARGS',
      '',
    ].join('\n');
    const expected = (flags: [string, string]): string =>
      [
        'Environment="KUBELET_EXTRA_ARGS= \\',
        `              ${flags[0]} \\`,
        `              ${flags[1]} \\`,
        '              --container-runtime-endpoint=unix:///var/run/containerd/containerd.sock"',
        'ExecStart=/usr/bin/kubelet $KUBELET_EXTRA_ARGS',
        '',
      ].join('\n');
    const old: [string, string] = [
      '--container-runtime=remote',
      '--pod-infra-container-image=sealos.hub:5000/pause:3.9',
    ];

    it('keeps the flags for Kubernetes before 1.27', () => {
      expect(
        renderTemplate(text, { ...env, SEALOS_SYS_KUBE_VERSION: 'v1.26.5' }, '10-kubeadm.conf.tmpl'),
      ).toBe(expected(old));
    });

    it('drops them from 1.27 on', () => {
      expect(
        renderTemplate(text, { ...env, SEALOS_SYS_KUBE_VERSION: 'v1.27.7' }, '10-kubeadm.conf.tmpl'),
      ).toBe(expected(['', '']));
    });

    it('keeps them when the version is unknown: `or` stops before semverCompare sees a missing value', () => {
      expect(renderTemplate(text, env, '10-kubeadm.conf.tmpl')).toBe(expected(old));
    });
  });

  it('renders k3s.service: server on masters, agent otherwise (runtime/k3s/etc/k3s.service.tmpl)', () => {
    const text =
      'ExecStart=/usr/bin/k3s {{ if and (.SEALOS_SYS_RUN_MODE) (contains "master" .SEALOS_SYS_RUN_MODE) }}server{{ else }}agent{{end}}\n';
    expect(renderTemplate(text, { SEALOS_SYS_RUN_MODE: 'master,node' }, 'k3s.service.tmpl')).toBe(
      'ExecStart=/usr/bin/k3s server\n',
    );
    expect(renderTemplate(text, { SEALOS_SYS_RUN_MODE: 'node' }, 'k3s.service.tmpl')).toBe(
      'ExecStart=/usr/bin/k3s agent\n',
    );
    expect(renderTemplate(text, {}, 'k3s.service.tmpl')).toBe('ExecStart=/usr/bin/k3s agent\n');
  });

  it("renders sealos' own image-cri-shim test template (lifecycle/pkg/env/test/shim/shim.yaml.tmpl)", () => {
    const text = [
      'address: http://{{ .registryDomain }}:{{ .registryPort }}',
      '{{ if not .SEALOS_SYS_KUBE_VERSION }}sync: 0{{ else }}{{ if and (ne .SEALOS_SYS_KUBE_VERSION "") (semverCompare "^1.26.0" .SEALOS_SYS_KUBE_VERSION) }}version: v1{{ else }}version: v1alpha2{{ end }}{{ end  }}',
      'auth: {{ .registryUsername }}:{{ .registryPassword }}',
    ].join('\n');
    const head = 'address: http://sealos.hub:5000\n';
    const tail = '\nauth: admin:passw0rd';
    expect(renderTemplate(text, env, 'shim.yaml.tmpl')).toBe(`${head}sync: 0${tail}`);
    expect(renderTemplate(text, { ...env, SEALOS_SYS_KUBE_VERSION: 'v1.25.0' }, 'shim.yaml.tmpl')).toBe(
      `${head}version: v1alpha2${tail}`,
    );
    expect(renderTemplate(text, { ...env, SEALOS_SYS_KUBE_VERSION: 'v1.28.2' }, 'shim.yaml.tmpl')).toBe(
      `${head}version: v1${tail}`,
    );
  });

  describe('csi-driver-nfs storageclass (cluster-image/applications/csi-driver-nfs/latest/manifests)', () => {
    const text = [
      'metadata:',
      '  name: nfs-csi',
      '  {{- if .disableDefaultStorageClass }}',
      '  annotations:',
      '    storageclass.kubernetes.io/is-default-class: "false"',
      '  {{- else }}',
      '  annotations:',
      '    storageclass.kubernetes.io/is-default-class: "true"',
      '  {{- end }}',
      'parameters:',
      '  server: {{ default "nfs-server.default.svc.cluster.local" .server }}',
      '  share: {{ default "/" .share }}',
      '  {{- if .SubDir }}',
      '  subDir: {{ .SubDir }}',
      '  {{- end }}',
      '  mountPermissions: {{ default "0" .mountPermissions | quote }}',
      '',
    ].join('\n');

    it('renders the defaults with the trim markers eating the action lines', () => {
      expect(renderTemplate(text, {}, 'manifests/storageclass-nfs.yaml.tmpl')).toBe(
        [
          'metadata:',
          '  name: nfs-csi',
          '  annotations:',
          '    storageclass.kubernetes.io/is-default-class: "true"',
          'parameters:',
          '  server: nfs-server.default.svc.cluster.local',
          '  share: /',
          '  mountPermissions: "0"',
          '',
        ].join('\n'),
      );
    });

    it('renders the options', () => {
      const values = {
        disableDefaultStorageClass: 'true',
        server: '10.0.0.5',
        SubDir: 'k8s',
        mountPermissions: '0777',
      };
      expect(renderTemplate(text, values, 'manifests/storageclass-nfs.yaml.tmpl')).toBe(
        [
          'metadata:',
          '  name: nfs-csi',
          '  annotations:',
          '    storageclass.kubernetes.io/is-default-class: "false"',
          'parameters:',
          '  server: 10.0.0.5',
          '  share: /',
          '  subDir: k8s',
          '  mountPermissions: "0777"',
          '',
        ].join('\n'),
      );
    });
  });

  it('renders a registry config with toYaml of a dict built from env', () => {
    const text = [
      'version: 0.1',
      'storage:',
      '  filesystem:',
      '    rootdirectory: {{ .registryData }}',
      'http:',
      '  addr: :{{ .registryPort }}',
      '  headers:',
      '{{ dict "X-Content-Type-Options" (list "nosniff") "X-Registry" (list .registryDomain) | toYaml | indent 4 }}',
      'auth:',
      '  htpasswd:',
      '    realm: {{ "Registry Realm" | quote }}',
      '    path: {{ .registryConfig }}/registry_htpasswd',
      '',
    ].join('\n');
    expect(renderTemplate(text, env, 'etc/registry_config.yml.tmpl')).toBe(
      [
        'version: 0.1',
        'storage:',
        '  filesystem:',
        '    rootdirectory: /var/lib/registry',
        'http:',
        '  addr: :5000',
        '  headers:',
        '    X-Content-Type-Options:',
        '    - nosniff',
        '    X-Registry:',
        '    - sealos.hub',
        'auth:',
        '  htpasswd:',
        '    realm: "Registry Realm"',
        '    path: /etc/registry/registry_htpasswd',
        '',
      ].join('\n'),
    );
  });

  it('renders a script template with range over a split env list and b64enc', () => {
    const text = [
      '#!/bin/bash',
      '{{- range $i, $host := splitList "," .MASTERS }}',
      'echo "{{ $i }} {{ $host | trim }}"',
      '{{- end }}',
      'echo {{ printf "%s:%s" .registryUsername .registryPassword | b64enc }} > /etc/registry/auth',
      '',
    ].join('\n');
    expect(renderTemplate(text, { ...env, MASTERS: '10.0.0.1, 10.0.0.2' }, 'scripts/init.sh.tmpl')).toBe(
      [
        '#!/bin/bash',
        'echo "0 10.0.0.1"',
        'echo "1 10.0.0.2"',
        'echo YWRtaW46cGFzc3cwcmQ= > /etc/registry/auth',
        '',
      ].join('\n'),
    );
  });
});
