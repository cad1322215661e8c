import { readdir } from 'node:fs/promises';
import { posix } from 'node:path';
import { isKimgError } from '../../errors';
import { addAnnotatedImages } from './chart-annotation';
import { contextEntryKind, readContextFile, resolveInContext } from './context-file';
import { DiscoveryEnv } from './discovery-limits';
import type { DiscoveryRun } from './discovery-run';
import { helmTemplate } from './helm-template';
import { readImageEntry } from './image-entry';
import { quote } from './image-list';
import { imagesInRenderedChart } from './rendered-chart';
import { addValuesImages } from './values-images';
import { parseYamlDocuments, type YamlNode } from './yaml-tree';

/** A packaged chart (`helm package`), rendered by Helm as it is. */
const CHART_ARCHIVE = /\.tgz$/;

/** The charts of a folder (`charts/` of a context): sub-folders holding a Chart.yaml, and `.tgz` archives. */
export async function discoverChartsFolder(run: DiscoveryRun, folder: string): Promise<void> {
  const real = await resolveInContext(run.root, folder);
  for (const name of (await readdir(real)).sort()) {
    const path = `${folder}/${name}`;
    const kind = await contextEntryKind(run.root, path);
    if (kind === 'dir' && (await contextEntryKind(run.root, `${path}/Chart.yaml`)) === 'file')
      await discoverChart(run, path);
    else if (kind === 'file' && CHART_ARCHIVE.test(name)) await discoverChart(run, path);
  }
}

/**
 * One chart (a folder, or a `.tgz`): rendered by Helm with its values and the sealos override beside it
 * (`charts/<chart>.values.yaml`), plus the images its Chart.yaml annotation lists. Without Helm, the values best
 * effort (values-images.ts) and a warning naming the chart.
 */
export async function discoverChart(run: DiscoveryRun, chart: string): Promise<void> {
  if (run.seen.has(chart)) return;
  run.seen.add(chart);
  run.findings.checkAborted();
  const archive = CHART_ARCHIVE.test(chart);
  const base = chart.replace(CHART_ARCHIVE, '');
  const overrideFile = `${base}.values.yaml`;
  const override = (await contextEntryKind(run.root, overrideFile)) === 'file' ? overrideFile : undefined;
  const read = (file: string): Promise<YamlNode | undefined> => readYaml(run, file);
  if (!archive) {
    const chartYaml = await read(`${chart}/Chart.yaml`);
    if (chartYaml !== undefined) addAnnotatedImages(chartYaml, `${chart}/Chart.yaml`, run.findings);
  }
  if (run.helm !== undefined) return renderChart(run, chart, override, posix.basename(base));
  if (archive) {
    run.findings.warn(
      `chart ${chart} not rendered: Helm not found, and a packaged chart's values are not read without it (${helmHint()})`,
    );
    return;
  }
  run.findings.warn(
    `chart ${chart} not rendered: Helm not found; its images were read from its values files, best effort (${helmHint()})`,
  );
  await addValuesImages(chart, override, read, (dir) => subcharts(run, dir), run.findings);
}

function helmHint(): string {
  return `install helm on PATH, set ${DiscoveryEnv.helm}, or pass --helm PATH`;
}

async function renderChart(
  run: DiscoveryRun,
  chart: string,
  override: string | undefined,
  name: string,
): Promise<void> {
  const release = releaseName(name);
  const output = await helmTemplate({
    helm: run.helm as string,
    chart,
    chartPath: await resolveInContext(run.root, chart),
    release,
    valuesFiles: override === undefined ? [] : [await resolveInContext(run.root, override)],
    ...(run.kubeVersion !== undefined && { kubeVersion: run.kubeVersion }),
    env: run.env,
    timeoutMs: run.limits.helmTimeoutMs,
    maxOutputBytes: run.limits.maxHelmOutputBytes,
    ...(run.signal !== undefined && { signal: run.signal }),
  });
  for (const image of imagesInRenderedChart(output, chart)) {
    try {
      run.findings.add(readImageEntry(image.written, false), {
        file: image.templateFile,
        line: image.templateLine,
        column: image.pos.column,
        how: `chart:${name}:${image.template}`,
      });
    } catch (err) {
      if (!isKimgError(err, 'INVALID_REFERENCE')) throw err;
      run.findings.warn(
        `${image.templateFile}:${image.templateLine}: rendered ${image.kind} ${image.field} is ${quote(image.written)}, not an image reference; skipped`,
      );
    }
  }
}

/** Helm release names are DNS-1123 labels of at most 53 characters; folder names need not be. */
function releaseName(name: string): string {
  const cleaned = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 53)
    .replace(/-+$/, '');
  return cleaned === '' ? 'release' : cleaned;
}

async function readYaml(run: DiscoveryRun, file: string): Promise<YamlNode | undefined> {
  if ((await contextEntryKind(run.root, file)) === undefined) return undefined;
  return parseYamlDocuments(await readContextFile(run.root, file, run.limits.maxFileBytes), file)[0];
}

async function subcharts(run: DiscoveryRun, chart: string): Promise<string[]> {
  const folder = `${chart}/charts`;
  if ((await contextEntryKind(run.root, folder)) !== 'dir') return [];
  const found: string[] = [];
  for (const name of (await readdir(await resolveInContext(run.root, folder))).sort()) {
    const path = `${folder}/${name}`;
    if ((await contextEntryKind(run.root, `${path}/Chart.yaml`)) === 'file') found.push(path);
  }
  return found;
}
