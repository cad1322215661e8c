import { isKimgError } from '../../errors';
import type { Findings } from './findings';
import { readImageEntry } from './image-entry';
import { quote } from './image-list';
import { child, stringValue, type YamlMap, type YamlNode } from './yaml-tree';

/** Reads a context YAML file's first document; undefined when the file does not exist. */
export type YamlReader = (file: string) => Promise<YamlNode | undefined>;

/** Subcharts nest this deep at most (umbrella → component → library is three). */
const MAX_SUBCHART_DEPTH = 8;

/**
 * The best effort without Helm: images a chart's values name by the conventions most charts follow.
 * - `image: REF` — a string under a key called `image`;
 * - `{registry?, repository, tag?, digest?}` maps (Bitnami's `common.images.image`): `registry/repository`, then
 *   `@digest` if set, else `:tag`, else `:` the chart's `appVersion` (the usual `default .Chart.AppVersion`);
 * - `global.imageRegistry` as the registry of maps that name none (Bitnami).
 * Values are the chart's `values.yaml` with the override (sealos' `charts/<chart>.values.yaml`) merged on top, as
 * Helm merges `-f`. Subcharts under `charts/` are read with their parent's values for them, skipped when their
 * `condition` in the parent's Chart.yaml is false. Templates are not evaluated: images composed in templates
 * (or named by other keys) are missed; the `helm.sh/images` annotation or an `images/shim` list covers those.
 */
export async function addValuesImages(
  chartDir: string,
  overrideFile: string | undefined,
  read: YamlReader,
  listSubcharts: (chartDir: string) => Promise<string[]>,
  findings: Findings,
): Promise<void> {
  const override = overrideFile === undefined ? undefined : await read(overrideFile);
  await chartImages(chartDir, override, undefined, 0, read, listSubcharts, findings);
}

async function chartImages(
  chartDir: string,
  parentValues: YamlNode | undefined,
  parentGlobal: YamlNode | undefined,
  depth: number,
  read: YamlReader,
  listSubcharts: (chartDir: string) => Promise<string[]>,
  findings: Findings,
): Promise<void> {
  if (depth > MAX_SUBCHART_DEPTH) return;
  const chartYaml = await read(`${chartDir}/Chart.yaml`);
  const values = merge(await read(`${chartDir}/values.yaml`), parentValues);
  const global = merge(child(values, 'global'), parentGlobal);
  const appVersion = scalarText(child(chartYaml, 'appVersion'));
  const dependencies = child(chartYaml, 'dependencies');
  const skip = new Set(['global']);
  for (const subchart of await listSubcharts(chartDir)) {
    const name =
      stringValue(child(await read(`${subchart}/Chart.yaml`), 'name')) ??
      subchart.slice(subchart.lastIndexOf('/') + 1);
    const dependency =
      dependencies?.kind === 'seq'
        ? dependencies.items.find((item) => stringValue(child(item, 'name')) === name)
        : undefined;
    const key = stringValue(child(dependency, 'alias')) ?? name;
    skip.add(key);
    if (conditionHolds(stringValue(child(dependency, 'condition')), values) === false) continue;
    await chartImages(subchart, child(values, key), global, depth + 1, read, listSubcharts, findings);
  }
  if (values?.kind !== 'map') return;
  const registry = stringValue(child(global, 'imageRegistry')) || undefined;
  for (const [key, value] of values.entries)
    if (!skip.has(key)) walk(key, value, { registry, appVersion }, findings);
}

interface Defaults {
  registry: string | undefined;
  appVersion: string | undefined;
}

function walk(key: string, node: YamlNode, defaults: Defaults, findings: Findings): void {
  if (key === 'image' && node.kind === 'scalar') {
    const written = stringValue(node);
    if (written) report(written, node, findings);
    return;
  }
  if (node.kind === 'map') {
    const repository = child(node, 'repository');
    const repositoryText = stringValue(repository);
    if (repository !== undefined && repositoryText) {
      report(composeImage(node, repositoryText, defaults), repository, findings);
      return;
    }
    for (const [childKey, value] of node.entries) walk(childKey, value, defaults, findings);
  } else if (node.kind === 'seq') {
    for (const item of node.items) walk('', item, defaults, findings);
  }
}

function composeImage(map: YamlMap, repository: string, defaults: Defaults): string {
  const registry = stringValue(child(map, 'registry')) || defaults.registry;
  const digest = stringValue(child(map, 'digest')) || undefined;
  const tag = scalarText(child(map, 'tag')) || defaults.appVersion;
  const name = registry ? `${registry}/${repository}` : repository;
  return digest !== undefined ? `${name}@${digest}` : tag !== undefined ? `${name}:${tag}` : name;
}

function report(written: string, node: YamlNode, findings: Findings): void {
  try {
    findings.add(readImageEntry(written, false), {
      file: node.pos.file,
      line: node.pos.line,
      column: node.pos.column,
      how: 'chart-values',
    });
  } catch (err) {
    if (!isKimgError(err, 'INVALID_REFERENCE')) throw err;
    findings.warn(
      `${node.pos.file}:${node.pos.line}: values name ${quote(written)}, which is not an image reference; skipped`,
    );
  }
}

/** Helm's `condition`: comma-separated value paths, the first that resolves to a boolean decides. */
function conditionHolds(condition: string | undefined, values: YamlNode | undefined): boolean | undefined {
  for (const path of (condition ?? '').split(',')) {
    let node: YamlNode | undefined = values;
    for (const key of path.trim().split('.')) node = child(node, key);
    if (node?.kind === 'scalar' && typeof node.value === 'boolean') return node.value;
  }
  return undefined;
}

/** Helm's values merge: maps merge key by key, anything else in `over` replaces `base`. */
export function merge(base: YamlNode | undefined, over: YamlNode | undefined): YamlNode | undefined {
  if (base === undefined) return over;
  if (over === undefined) return base;
  if (base.kind !== 'map' || over.kind !== 'map') return over;
  const entries = new Map(base.entries);
  for (const [key, value] of over.entries) entries.set(key, merge(base.entries.get(key), value) ?? value);
  return { kind: 'map', entries, pos: over.pos };
}

/** Tags and versions are often written as numbers (`tag: 1.27`); Helm prints them as written would be ideal, String is close. */
function scalarText(node: YamlNode | undefined): string | undefined {
  if (node?.kind !== 'scalar' || node.value === null || node.value === undefined) return undefined;
  return typeof node.value === 'string' || typeof node.value === 'number' ? String(node.value) : undefined;
}
