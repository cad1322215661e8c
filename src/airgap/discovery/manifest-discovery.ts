import { isKimgError } from '../../errors';
import { listContextFiles, readContextFile } from './context-file';
import type { DiscoveryRun } from './discovery-run';
import { readImageEntry } from './image-entry';
import { quote } from './image-list';
import { imagesInDocument } from './manifest-images';
import { parseYamlDocuments } from './yaml-tree';

/** The files of a manifest folder that are read: Kubernetes reads YAML and JSON (`kubectl apply -f DIR`). */
export const MANIFEST_SUFFIXES = ['.yaml', '.yml', '.json'] as const;

/** Every manifest file below a context folder, in path order. */
export async function discoverManifestFolder(run: DiscoveryRun, folder: string): Promise<void> {
  for (const file of await listContextFiles(run.root, folder, MANIFEST_SUFFIXES))
    await discoverManifestFile(run, file);
}

/**
 * One manifest file, every document. A value that is not an image reference (a `${VAR}` placeholder filled in at
 * install, a CR field that only happens to be called `image`) is skipped with a warning naming file:line: the
 * image may be meant to come from elsewhere, and the build should say so rather than stop.
 */
export async function discoverManifestFile(run: DiscoveryRun, file: string): Promise<void> {
  if (run.seen.has(file)) return;
  run.seen.add(file);
  run.findings.checkAborted();
  const text = await readContextFile(run.root, file, run.limits.maxFileBytes);
  for (const document of parseYamlDocuments(text, file)) {
    for (const found of imagesInDocument(document)) {
      try {
        run.findings.add(readImageEntry(found.written, false), {
          file,
          line: found.pos.line,
          column: found.pos.column,
          how: `manifest:${found.kind}:${found.field}`,
        });
      } catch (err) {
        if (!isKimgError(err, 'INVALID_REFERENCE')) throw err;
        run.findings.warn(
          `${file}:${found.pos.line}: ${found.kind} ${found.field} is ${quote(found.written)}, not an image reference; skipped`,
        );
      }
    }
  }
}
