import { isKimgError } from '../../errors';
import type { Findings } from './findings';
import { readImageEntry } from './image-entry';
import { quote } from './image-list';
import { child, parseYamlDocuments, stringValue, type YamlNode } from './yaml-tree';

/**
 * Chart.yaml annotations that list a chart's images: `helm.sh/images` (Zarf and Helm's own proposal) and
 * Artifact Hub's `artifacthub.io/images`, both a YAML list of `{name, image, whitelisted?, platforms?}` in a
 * string (https://artifacthub.io/docs/topics/annotations/helm/). Charts list there the images their templates
 * compose in ways no values convention shows, so they are read whether or not Helm renders the chart.
 */
export const IMAGE_ANNOTATIONS = ['helm.sh/images', 'artifacthub.io/images'] as const;

export function addAnnotatedImages(chartYaml: YamlNode, chartYamlFile: string, findings: Findings): void {
  const annotations = child(chartYaml, 'annotations');
  for (const key of IMAGE_ANNOTATIONS) {
    const node = child(annotations, key);
    const text = stringValue(node);
    if (node === undefined || text === undefined) continue;
    // A block scalar's text starts on the line after its `|`; a quoted one on the key's line.
    const firstLine =
      node.pos.line + (node.kind === 'scalar' && node.style?.startsWith('BLOCK') === true ? 1 : 0);
    const list = parseYamlDocuments(text, `${chartYamlFile} (annotation ${key})`)[0];
    if (list?.kind !== 'seq') {
      findings.warn(
        `${chartYamlFile}:${node.pos.line}: annotation ${key} is not a YAML list of {name, image}; ignored`,
      );
      continue;
    }
    for (const item of list.items) {
      const imageNode = child(item, 'image');
      const written = stringValue(imageNode);
      const line = firstLine + (imageNode ?? item).pos.line - 1;
      if (written === undefined) {
        findings.warn(`${chartYamlFile}:${line}: an entry of annotation ${key} has no image; ignored`);
        continue;
      }
      try {
        findings.add(readImageEntry(written, false), {
          file: chartYamlFile,
          line,
          how: `chart-annotation:${key}`,
        });
      } catch (err) {
        if (!isKimgError(err, 'INVALID_REFERENCE')) throw err;
        findings.warn(
          `${chartYamlFile}:${line}: annotation ${key}: ${quote(written)} is not an image reference; skipped`,
        );
      }
    }
  }
}
