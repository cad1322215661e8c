import { parseManifest } from '../manifest/parse';
import { parseReference } from '../reference';
import { parseSyncFile } from '../sync/sync-file';
import { commands, type AnyCommand } from './commands';
import { kimgParser } from './main';

/**
 * What a start-up snapshot holds of a function is its bytecode only if the function ran while the snapshot was
 * built: V8 compiles lazily, on a function's first call, and the snapshot keeps what was compiled (Node builds it
 * with FunctionCodeHandling::kKeep). Without this warm-up every `kimg` start compiled yargs' parser, the YAML
 * reader and the manifest schemas' success paths again, on the critical path before the first request: the
 * sync file's parse took ~12 ms of a 20-image sync's ~85 ms from `main` to its first connection, ~4 ms once warm
 * (CPU profile, issue 12). So the snapshot program runs, on made-up inputs, the code each start runs first.
 *
 * Pure work only (cli/snapshot-main.ts rule): no file, environment, handle or time is read or kept. The
 * command lines are parsed with inert handlers (builders and validation run, handlers do not), and every sample
 * must be valid: a warm-up that fails fails the snapshot's build (`npm run build` says so and kimg starts
 * without it; test/cli/startup-snapshot.test.ts fails), so it cannot silently stop warming.
 */
export function warmUpForSnapshot(): void {
  for (const line of SAMPLE_COMMAND_LINES) parseInert(line);
  parseSyncFile(SAMPLE_SYNC_FILE, 'warm-up.yaml');
  for (const manifest of SAMPLE_MANIFESTS) parseManifest(Buffer.from(JSON.stringify(manifest)));
  for (const reference of SAMPLE_REFERENCES) parseReference(reference);
}

/**
 * `line` parsed as `main` would, every command's builder and yargs' validation included, but no handler run:
 * the parsed arguments. A line yargs refuses throws (main's failure rule).
 */
export function parseInert(line: readonly string[]): { _: (string | number)[] } {
  const inert: AnyCommand[] = commands.map((command) => ({ ...command, handler: () => undefined }));
  return kimgParser([...line], inert, { version: '0.0.0-warm-up', columns: 110 }).parseSync();
}

/** The commands run most often where start-up counts: mirroring, copies, builds, listings. */
export const SAMPLE_COMMAND_LINES: readonly string[][] = [
  ['--root', '/warm-up', '--quiet', 'sync', '-f', 'warm-up.yaml', 'registry.example/mirror'],
  ['sync', '--all-tags', 'registry.example/app', 'registry-dir:/warm-up', '--format', 'json'],
  ['copy', '--quiet', 'docker://registry.example/app:v1', 'docker://mirror.example/app:v1'],
  ['build', '-t', 'registry.example/cluster:v1', '.'],
  ['--format', 'json', 'images'],
  ['inspect', 'registry.example/app:v1'],
];

const SAMPLE_SYNC_FILE = `registry.example:
  tls-verify: false
  images:
    library/app: ["v1", "v2"]
    team/tool: ["1.0"]
  images-by-tag-regex:
    team/agent: ^v[0-9]+
  images-by-semver:
    team/server: ">= 1.2.0"
`;

const DIGEST = `sha256:${'a'.repeat(64)}`;
const SAMPLE_MANIFESTS: object[] = [
  {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: DIGEST, size: 100 },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: DIGEST, size: 1000 }],
    annotations: { 'org.opencontainers.image.created': '2026-01-01T00:00:00Z' },
  },
  {
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: DIGEST, size: 100 },
    layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: DIGEST, size: 1000 }],
  },
  {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: DIGEST,
        size: 500,
        platform: { os: 'linux', architecture: 'amd64' },
      },
    ],
  },
];

const SAMPLE_REFERENCES = ['registry.example:5000/team/app:v1', `team/app@${DIGEST}`, 'app'];
