import { chmod, lstat, readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { ClusterDirs, TEMPLATE_SUFFIX } from '../cluster';
import { KimgError } from '../errors';
import { writeFileAtomic } from '../fs/atomic-file';
import { parseTemplate, type Template } from '../template';

/** The folders of an unpacked image whose `.tmpl` files sealos renders (`RenderTemplatesWithEnv`). */
export const TEMPLATE_FOLDERS = [ClusterDirs.etc, ClusterDirs.scripts, ClusterDirs.manifests] as const;

/** A template is a config file: bigger than this is not one (and would be read whole). */
export const MAX_TEMPLATE_BYTES = 4 * 1024 * 1024;
/** Folder depth walked below etc/, scripts/, manifests/. */
export const MAX_TEMPLATE_DEPTH = 32;

export interface TemplateFolder {
  /** An unpacked image's folder (`DIR/rootfs`, `DIR/apps/<name>`). */
  dir: string;
  /** The env it is rendered with (the same its steps get, without kimg's own environment). */
  env: Readonly<Record<string, string>>;
}

/**
 * Renders every `*.tmpl` below etc/, scripts/ and manifests/ of each folder with Go text/template (src/template)
 * and writes it beside, without the suffix (the template stays, as sealos leaves it). Every template is parsed and
 * executed first, so a syntax error or an unsupported function fails the install with `file:line:col` before any
 * file is written and before any hook runs. Symlinks are never followed: a folder or a template that is a link
 * (a hostile image's `etc -> /etc`) is left alone, so nothing is written outside the target.
 */
export async function renderClusterTemplates(
  target: string,
  folders: readonly TemplateFolder[],
): Promise<string[]> {
  const rendered: { path: string; text: string; mode: number }[] = [];
  for (const folder of folders) {
    for (const sub of TEMPLATE_FOLDERS) {
      for (const file of await templatesBelow(join(folder.dir, sub), 0)) {
        const name = relative(target, file.path);
        if (file.size > MAX_TEMPLATE_BYTES) {
          throw new KimgError(
            'TEMPLATE',
            `${name}: ${file.size} bytes, over the template cap of ${MAX_TEMPLATE_BYTES}`,
            'a template is a config file; ship bigger files as they are',
          );
        }
        const template: Template = parseTemplate(await readFile(file.path, 'utf8'), name);
        rendered.push({
          path: file.path.slice(0, -TEMPLATE_SUFFIX.length),
          text: template.execute({ ...folder.env }),
          mode: file.mode,
        });
      }
    }
  }
  for (const file of rendered) {
    await writeFileAtomic(file.path, file.text);
    await chmod(file.path, file.mode);
  }
  return rendered.map((file) => relative(target, file.path));
}

async function templatesBelow(
  dir: string,
  depth: number,
): Promise<{ path: string; size: number; mode: number }[]> {
  const stat = await lstat(dir).catch(() => undefined);
  if (!stat?.isDirectory() || depth > MAX_TEMPLATE_DEPTH) return [];
  const found: { path: string; size: number; mode: number }[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const path = join(dir, name);
    const entry = await lstat(path);
    if (entry.isDirectory()) found.push(...(await templatesBelow(path, depth + 1)));
    else if (entry.isFile() && name.endsWith(TEMPLATE_SUFFIX) && name !== TEMPLATE_SUFFIX)
      found.push({ path, size: entry.size, mode: entry.mode & 0o7777 });
  }
  return found;
}
