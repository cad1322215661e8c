import { imagesInDocument, type FoundImage } from './manifest-images';
import { parseYamlDocuments } from './yaml-tree';

/** An image in a chart's rendered output, placed in the template that produced it. */
export interface RenderedImage extends FoundImage {
  /** Helm's `# Source:` path: `<chart name>/templates/x.yaml`, `<chart>/charts/<sub>/templates/x.yaml`. */
  template: string;
  /** The template file in the context (`charts/app/templates/x.yaml`). */
  templateFile: string;
  /** Line (1-based) in that template's rendered output. */
  templateLine: number;
}

const SOURCE_COMMENT = /^# Source: (.+?)\s*$/;

/**
 * Reads `helm template` output. Helm starts each rendered document with `# Source: <chart>/<path in chart>`
 * (pkg/action `PrintResource`/`writeToFile`); an image is attributed to the last such comment above it, with its
 * line counted from there. The chart name in that path is Chart.yaml's `name`, which need not be the folder's,
 * so the context path is the chart's folder followed by the rest of the Source path.
 */
export function imagesInRenderedChart(output: string, chartDir: string): RenderedImage[] {
  const sources: { line: number; path: string }[] = [];
  output.split('\n').forEach((text, index) => {
    const path = SOURCE_COMMENT.exec(text)?.[1];
    if (path !== undefined) sources.push({ line: index + 1, path });
  });
  const found = parseYamlDocuments(output, `${chartDir} (rendered by helm)`).flatMap((document) =>
    imagesInDocument(document),
  );
  return found.map((image) => {
    const source = lastBefore(sources, image.pos.line);
    const template = source?.path ?? '-';
    const inChart = template.includes('/') ? template.slice(template.indexOf('/') + 1) : template;
    return {
      ...image,
      template,
      templateFile: `${chartDir}/${inChart}`,
      templateLine: image.pos.line - (source?.line ?? 0),
    };
  });
}

function lastBefore<T extends { line: number }>(sorted: readonly T[], line: number): T | undefined {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if ((sorted[middle] as T).line < line) low = middle + 1;
    else high = middle;
  }
  return sorted[low - 1];
}
