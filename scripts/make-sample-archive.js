#!/usr/bin/env node
// Writes a small, byte-for-byte reproducible oci-archive holding one 2-layer cluster image, for scripts/demo.sh.
// Self-contained (node built-ins + tar-stream) so the demo does not depend on kimg to make its own input.
//
//   node scripts/make-sample-archive.js OUT.tar [--name kimg-demo/hello:1.0]
//
// Layout of the archive (OCI image layout spec, image-layout.md): oci-layout, index.json, blobs/sha256/*.
// index.json names the image with the annotation org.opencontainers.image.ref.name (what `skopeo copy
// oci-archive:OUT.tar:NAME` reads) and io.containerd.image.name (what containerd's `ctr import` reads).
'use strict';

const { Buffer } = require('buffer');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const tar = require('tar-stream');

// Fixed timestamps and owners: the same bytes on every machine and every run.
const EPOCH = new Date('2024-01-01T00:00:00Z');
const OWNER = { uid: 0, gid: 0, uname: '', gname: '' };

function sha256(buf) {
  return 'sha256:' + crypto.createHash('sha256').update(buf).digest('hex');
}

/** Builds an uncompressed tar from [{name, body?, mode?}], directories when body is undefined. */
function buildTar(entries) {
  return new Promise((resolve, reject) => {
    const pack = tar.pack();
    const chunks = [];
    pack.on('data', (c) => chunks.push(c));
    pack.on('end', () => resolve(Buffer.concat(chunks)));
    pack.on('error', reject);
    for (const e of entries) {
      if (e.body === undefined) {
        pack.entry({ name: e.name, type: 'directory', mode: 0o755, mtime: EPOCH, ...OWNER });
      } else {
        const body = Buffer.from(e.body);
        pack.entry(
          { name: e.name, type: 'file', mode: e.mode ?? 0o644, mtime: EPOCH, size: body.length, ...OWNER },
          body,
        );
      }
    }
    pack.finalize();
  });
}

const KERNEL_LAYER = [
  { name: 'bin/' },
  { name: 'bin/hello', mode: 0o755, body: '#!/bin/sh\necho "hello from a kimg cluster image"\n' },
  { name: 'etc/' },
  { name: 'etc/hello.conf', body: 'greeting=hello\nreplicas=1\n' },
  { name: 'scripts/' },
  { name: 'scripts/init.sh', mode: 0o755, body: '#!/bin/sh\nset -e\ncd "$(dirname "$0")/.."\n./bin/hello\n' },
];

const APP_LAYER = [
  { name: 'manifests/' },
  {
    name: 'manifests/hello.yaml',
    body: [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata: {name: hello}',
      'spec:',
      '  selector: {matchLabels: {app: hello}}',
      '  template:',
      '    metadata: {labels: {app: hello}}',
      '    spec:',
      '      containers:',
      '        - {name: hello, image: docker.io/library/busybox:1.36}',
      '',
    ].join('\n'),
  },
  { name: 'images/' },
  { name: 'images/shim/' },
  { name: 'images/shim/images.txt', body: 'docker.io/library/busybox:1.36\n' },
];

async function makeSampleArchive(out, name) {
  const blobs = new Map(); // digest → bytes
  const put = (buf) => {
    const digest = sha256(buf);
    blobs.set(digest, buf);
    return digest;
  };

  const layers = [];
  const diffIds = [];
  for (const entries of [KERNEL_LAYER, APP_LAYER]) {
    const raw = await buildTar(entries);
    // zlib's gzip header has mtime 0 and no file name, so the compressed bytes are reproducible too.
    const gz = zlib.gzipSync(raw, { level: 9 });
    diffIds.push(sha256(raw));
    layers.push({
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
      digest: put(gz),
      size: gz.length,
    });
  }

  const config = Buffer.from(
    JSON.stringify({
      created: EPOCH.toISOString(),
      architecture: 'amd64',
      os: 'linux',
      config: {
        Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
        Cmd: ['sh', 'scripts/init.sh'],
        Labels: { 'sealos.io.type': 'application', 'sealos.io.version': 'v1beta1' },
      },
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: [
        { created: EPOCH.toISOString(), created_by: 'COPY bin etc scripts .' },
        { created: EPOCH.toISOString(), created_by: 'COPY manifests images .' },
      ],
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: put(config),
        size: config.length,
      },
      layers,
    }),
  );
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: put(manifest),
          size: manifest.length,
          annotations: {
            'io.containerd.image.name': name.includes('/')
              ? `docker.io/${name}`
              : `docker.io/library/${name}`,
            'org.opencontainers.image.ref.name': name,
          },
        },
      ],
    }),
  );

  const entries = [
    { name: 'oci-layout', body: '{"imageLayoutVersion":"1.0.0"}' },
    { name: 'index.json', body: index },
    { name: 'blobs/' },
    { name: 'blobs/sha256/' },
    ...[...blobs.keys()]
      .sort()
      .map((d) => ({ name: `blobs/sha256/${d.slice('sha256:'.length)}`, body: blobs.get(d) })),
  ];
  const archive = await buildTar(entries);
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  fs.writeFileSync(out, archive);
  return { name, manifestDigest: sha256(manifest), archiveDigest: sha256(archive), size: archive.length };
}

async function main(argv) {
  const args = argv.slice();
  let name = 'kimg-demo/hello:1.0';
  const i = args.indexOf('--name');
  if (i >= 0) {
    name = args[i + 1];
    args.splice(i, 2);
  }
  if (args.length !== 1 || !name) {
    process.stderr.write('usage: make-sample-archive.js OUT.tar [--name NAME:TAG]\n');
    process.exit(2);
  }
  const r = await makeSampleArchive(args[0], name);
  process.stdout.write(`${args[0]}: ${r.size} bytes, image ${r.name}, manifest ${r.manifestDigest}\n`);
}

module.exports = { makeSampleArchive };

if (require.main === module) {
  main(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`make-sample-archive: ${e.message}\n`);
    process.exit(1);
  });
}
