import { posix } from 'node:path';
import { KimgError } from '../../errors';
import type { AppRecord } from '../../cluster';
import { discoverChart } from './chart-discovery';
import { contextEntryKind, openContextRoot } from './context-file';
import type { DiscoveryRun } from './discovery-run';
import { discoverManifestFile, discoverManifestFolder, MANIFEST_SUFFIXES } from './manifest-discovery';

/** How the build records a source in the context (build/plan/plan-copy.ts, sealer's spelling). */
const LOCAL_SCHEME = 'local://';

/**
 * The sources of APP/CNI/CSI instructions: a chart folder (it has a Chart.yaml) or a packaged chart (`.tgz`), a
 * manifest file, or a folder of manifests — in the context, or fetched by the build (`https://`, `oci://`,
 * `helm://`, `fetched`: read in the folder they were fetched to, named by their path in the image). A remote
 * source the build did not fetch (a base image's) is named in a warning.
 */
export async function discoverApps(
  run: DiscoveryRun,
  apps: readonly AppRecord[],
  fetched: ReadonlyMap<string, { root: string; path: string }> = new Map(),
): Promise<void> {
  for (const app of apps) {
    for (const written of app.sources) {
      const source = written.startsWith(LOCAL_SCHEME) ? written.slice(LOCAL_SCHEME.length) : written;
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) {
        const tree = fetched.get(source);
        if (tree) {
          await discoverAppSource({ ...run, root: await openContextRoot(tree.root) }, app, tree.path);
          continue;
        }
        run.findings.warn(
          `${app.kind.toUpperCase()} ${app.name}: remote source ${source} is not searched for images`,
        );
        continue;
      }
      await discoverAppSource(run, app, contextPath(app, source));
    }
  }
}

function contextPath(app: AppRecord, source: string): string {
  const path = posix.normalize(source).replace(/^\.\//, '').replace(/\/+$/, '');
  if (posix.isAbsolute(path) || path === '..' || path.startsWith('../')) {
    throw new KimgError(
      'DISCOVERY_INPUT_INVALID',
      `${app.kind.toUpperCase()} ${app.name}: source ${source} is outside the build context`,
      'name a path inside the context',
    );
  }
  return path;
}

async function discoverAppSource(run: DiscoveryRun, app: AppRecord, path: string): Promise<void> {
  const kind = await contextEntryKind(run.root, path);
  if (kind === 'dir') {
    if ((await contextEntryKind(run.root, `${path}/Chart.yaml`)) === 'file') await discoverChart(run, path);
    else await discoverManifestFolder(run, path);
  } else if (kind === 'file' && path.endsWith('.tgz')) {
    await discoverChart(run, path);
  } else if (kind === 'file' && MANIFEST_SUFFIXES.some((suffix) => path.endsWith(suffix))) {
    await discoverManifestFile(run, path);
  } else if (kind === undefined) {
    throw new KimgError(
      'DISCOVERY_INPUT_INVALID',
      `${app.kind.toUpperCase()} ${app.name}: source ${path} is not in the build context`,
    );
  } else {
    run.findings.warn(
      `${app.kind.toUpperCase()} ${app.name}: source ${path} is neither a chart nor a manifest; not searched for images`,
    );
  }
}
