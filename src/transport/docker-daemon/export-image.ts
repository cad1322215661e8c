import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type Docker from 'dockerode';
import { openScratchDir, type ScratchDirOptions } from '../../layer/scratch-dir';
import { DockerArchiveSource } from '../docker-archive/source';
import type { DaemonConnection } from './connection';
import { daemonError } from './daemon-error';

/** dockerode implements `GET /images/get?names=…` as getImages, but @types/dockerode does not declare it. */
interface ImagesExport {
  getImages(options: { names: string[]; abortSignal?: AbortSignal }): Promise<NodeJS.ReadableStream>;
}

/** One `docker save` of the daemon, read as a docker-archive; close() also deletes its temp file. */
export interface ExportedArchive {
  source: DockerArchiveSource;
  close(): Promise<void>;
}

/**
 * `GET /images/get?names=a&names=b` (Engine API "Export several images"): the daemon streams the `docker save`
 * tar of the named images; a tagged name puts that tag in manifest.json's RepoTags, an image ID puts none
 * (moby image/tarexport/save.go parseNames). The stream goes to a temp file under the temp directory because the
 * docker-archive reader needs random access: it serves members by positional reads in whatever order and
 * concurrency the copy engine asks, and manifest.json, which says what the other members are, comes after the
 * layers (save.go stages the export in a directory and tars it in lexical order), so nothing can be interpreted
 * before the whole export has arrived. The file lives in a scratch dir of its own (the store's, from the CLI).
 */
export async function exportImages(
  connection: DaemonConnection,
  names: string[],
  scratch: ScratchDirOptions,
  signal?: AbortSignal,
): Promise<ExportedArchive> {
  const dir = await openScratchDir(`docker-daemon export of ${names.join(', ')}`, scratch);
  const remove = () => dir.release();
  const file = join(dir.dir, 'export.tar');
  try {
    const docker = connection.docker as Docker & ImagesExport;
    const stream = await docker.getImages({ names, ...(signal ? { abortSignal: signal } : {}) });
    await pipeline(stream, createWriteStream(file), { signal });
  } catch (err) {
    await remove();
    throw daemonError(err, connection.endpoint.display, `export ${names.join(', ')}`);
  }
  let source: DockerArchiveSource;
  try {
    source = await DockerArchiveSource.open(file);
  } catch (err) {
    await remove();
    throw err;
  }
  return {
    source,
    async close() {
      await source.close();
      await remove();
    },
  };
}
