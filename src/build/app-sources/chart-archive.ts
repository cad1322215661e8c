import { createReadStream } from 'node:fs';
import { lstat, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { yaml } from '../../lazy/lazy';
import { KimgError } from '../../errors';
import { unpackTar, type UnpackLimits } from '../../unpack';

/**
 * Helm's own bounds on a packaged chart (pkg/chart/loader/archive.go: MaxDecompressedChartSize 100 MiB,
 * MaxDecompressedFileSize 5 MiB): a chart past them would not load in Helm anyway. `--max-unpack-size` and
 * KIMG_MAX_UNPACK_ENTRY_SIZE, when set, replace them (the cap's error names them).
 */
export const CHART_UNPACK_LIMITS: Readonly<Partial<UnpackLimits>> = {
  maxBytes: 100 * 1024 * 1024,
  maxEntryBytes: 5 * 1024 * 1024,
};

/** Chart.yaml is metadata: far below this. */
const MAX_CHART_YAML_BYTES = 1024 * 1024;

export interface UnpackedChart {
  name: string;
  version: string;
}

/**
 * Unpacks a packaged chart (`helm package`: one top folder holding Chart.yaml) into `chartsDir/<name>/`, where
 * `name` is Chart.yaml's (so sealos' `charts/<chart>/` convention holds inside the app's folder). `work` is an
 * empty scratch folder. Anything else — no single top folder, no Chart.yaml, a name that is no file name — is
 * APP_SOURCE_INVALID naming `what`.
 */
export async function unpackChart(
  file: string,
  chartsDir: string,
  work: string,
  what: string,
  limits: Partial<UnpackLimits>,
): Promise<UnpackedChart> {
  const notChart = (why: string) =>
    new KimgError(
      'APP_SOURCE_INVALID',
      `${what} is not a Helm chart: ${why}`,
      'name a packaged chart (helm package), or a file that is not a .tgz',
    );
  try {
    await unpackTar(createReadStream(file), work, { what, whiteouts: false, limits });
  } catch (err) {
    if (err instanceof KimgError && err.code === 'SIZE_LIMIT') throw err;
    throw notChart(`it is not a gzipped tar (${(err as Error).message})`);
  }
  const top = await readdir(work);
  const folder = top.length === 1 ? top[0] : undefined;
  if (folder === undefined) throw notChart(`it holds ${top.length} top-level entries, not one chart folder`);
  // The tree is the archive's: Chart.yaml may be a link anywhere, so only a small regular file is read.
  const chartYaml = join(work, folder, 'Chart.yaml');
  const info = await lstat(chartYaml).catch(() => undefined);
  if (!info?.isFile() || info.size > MAX_CHART_YAML_BYTES) {
    throw notChart(`${folder}/Chart.yaml is missing (or not a file under 1 MiB)`);
  }
  const meta = chartMeta(await readFile(chartYaml, 'utf8'));
  if (!meta) throw notChart(`${folder}/Chart.yaml has no name and version`);
  await mkdir(chartsDir, { recursive: true });
  await rename(join(work, folder), join(chartsDir, meta.name)).catch((err: unknown) => {
    throw (err as NodeJS.ErrnoException).code === 'ENOTEMPTY' ||
      (err as NodeJS.ErrnoException).code === 'EEXIST'
      ? new KimgError(
          'APP_SOURCE_INVALID',
          `${what}: the app already has a chart named ${meta.name}`,
          'give each chart of an app its own name, or split them into two apps',
        )
      : err;
  });
  await rm(work, { recursive: true, force: true });
  return meta;
}

function chartMeta(text: string): UnpackedChart | undefined {
  let doc: unknown;
  try {
    doc = yaml().parse(text, { maxAliasCount: 100, schema: 'failsafe' }); // every scalar a string, as Helm's Go structs read them
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null) return undefined;
  const { name, version } = doc as { name?: unknown; version?: unknown };
  if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) return undefined;
  return { name, version: typeof version === 'string' ? version : String(version ?? '') };
}
