import { ClusterDirs } from '../../cluster';
import { discoverApps } from './app-discovery';
import { discoverChartsFolder } from './chart-discovery';
import { contextEntryKind, openContextRoot, readBoundedFile } from './context-file';
import type { DiscoveryOptions, DiscoveryResult } from './discovered-image';
import { limitsFromEnv } from './discovery-limits';
import type { DiscoveryRun } from './discovery-run';
import { Findings } from './findings';
import { findHelm } from './helm-binary';
import { IgnoreList } from './ignore-list';
import { parseImageList } from './image-list';
import { discoverContextList, discoverGivenList, discoverListFolder } from './list-discovery';
import { discoverManifestFolder } from './manifest-discovery';

/**
 * Every container image a build context asks for, each with where it was asked for (docs/airgap.md "What kimg
 * finds"): `manifests/**` YAML and JSON, the charts of `charts/` rendered by Helm (or read from their values
 * without it), `images/shim/*` and `images/skopeo/tar.txt` lists, the APP/CNI/CSI sources of the Kubefile, and
 * `imageLists`; minus `ignoreLists`. Reads only; the order of the result depends on the context alone.
 */
export async function discoverImages(
  contextDir: string,
  options: DiscoveryOptions = {},
): Promise<DiscoveryResult> {
  const env = options.env ?? process.env;
  const findings = new Findings(options.signal);
  const run: DiscoveryRun = {
    root: await openContextRoot(contextDir),
    limits: { ...limitsFromEnv(env), ...options.limits },
    findings,
    helm: undefined,
    env,
    ...(options.kubeVersion !== undefined && { kubeVersion: options.kubeVersion }),
    ...(options.signal !== undefined && { signal: options.signal }),
    seen: new Set(),
  };
  // The ignore lists first: a bad one should fail before Helm runs.
  const ignore = new IgnoreList();
  for (const file of options.ignoreLists ?? []) {
    ignore.add(file, parseImageList(await readBoundedFile(file, file, run.limits.maxFileBytes), file));
  }

  const has = async (path: string, kind: 'file' | 'dir'): Promise<boolean> =>
    (await contextEntryKind(run.root, path)) === kind;
  if (await has(ClusterDirs.manifests, 'dir')) await discoverManifestFolder(run, ClusterDirs.manifests);
  const hasCharts = await has(ClusterDirs.charts, 'dir');
  const apps = options.apps ?? [];
  if (hasCharts || apps.length > 0) run.helm = await findHelm(options.helm, env);
  if (hasCharts) await discoverChartsFolder(run, ClusterDirs.charts);
  await discoverApps(run, apps, options.fetchedSources);
  if (await has(ClusterDirs.imageLists, 'dir'))
    await discoverListFolder(run, ClusterDirs.imageLists, 'shim-list');
  if (await has(ClusterDirs.imageArchiveList, 'file'))
    await discoverContextList(run, ClusterDirs.imageArchiveList, 'skopeo-tar-list');
  for (const file of options.imageLists ?? []) await discoverGivenList(run, file);
  return findings.result(ignore);
}
