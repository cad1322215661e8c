import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { isKimgError, KimgError } from '../../errors';
import { isIndexMediaType, type Descriptor } from '../../manifest';
import { openScratchDir, type ScratchDir } from '../../layer/scratch-dir';
import { parseReference } from '../../reference';
import { DockerArchiveDestination } from '../docker-archive/destination';
import type { IoOptions, NamedImage, Target } from '../types';
import { connectDaemon, type DaemonConnection, type DaemonOptions } from './connection';
import { loadArchive } from './load-image';

/**
 * `docker-daemon:REF` as a destination. The Engine API takes images only whole, as a `docker load` tar, so
 * the transaction is staged as a docker-archive in a temp directory: push and tag write it, commit finishes it
 * and sends it to `POST /images/load` (load-image.ts), abort or close without commit deletes it. The daemon
 * checks every layer against the config's diff_ids and sets the tags itself.
 */
export class DockerDaemonDestination implements Target {
  readonly description: string;
  private state: 'open' | 'committed' | 'aborted' = 'open';

  private constructor(
    private readonly connection: DaemonConnection,
    private readonly dir: ScratchDir,
    private readonly archive: DockerArchiveDestination,
  ) {
    this.description = `docker-daemon (${connection.endpoint.display})`;
  }

  static async create(options: DaemonOptions = {}): Promise<DockerDaemonDestination> {
    const connection = await connectDaemon(options);
    const dir = await openScratchDir('docker-daemon load staging', options);
    try {
      const archive = await DockerArchiveDestination.create(join(dir.dir, 'load.tar'));
      return new DockerDaemonDestination(connection, dir, archive);
    } catch (err) {
      await dir.release();
      throw err;
    }
  }

  push(desc: Descriptor, content: Readable, options?: IoOptions): Promise<void> {
    return this.archive.push(desc, content, options);
  }

  exists(desc: Descriptor): Promise<boolean> {
    return this.archive.exists(desc);
  }

  fetch(desc: Descriptor): Promise<Readable> {
    return this.archive.fetch(desc);
  }

  /** The images staged in this transaction (the daemon's own images are the source's business). */
  list(): Promise<NamedImage[]> {
    return this.archive.list();
  }

  resolve(ref: string | undefined): Promise<Descriptor> {
    return this.archive.resolve(ref);
  }

  async tag(desc: Descriptor, ref: string | undefined, options?: IoOptions): Promise<void> {
    const refused = new KimgError(
      'UNSUPPORTED',
      `${desc.digest} is a multi-platform index; the Docker daemon (docker load) takes single-platform images only`,
      'choose one platform with --platform',
    );
    if (isIndexMediaType(desc.mediaType)) throw refused;
    const parsed = ref === undefined ? undefined : parseReference(ref);
    if (parsed && parsed.tag === undefined && parsed.digest !== undefined) {
      throw new KimgError(
        'INVALID_ARGUMENT',
        `the Docker daemon cannot name a loaded image by digest ("${ref}")`,
        'give a tag instead, e.g. name:latest (docker load sets the tags of the archive, RepoTags)',
      );
    }
    try {
      await this.archive.tag(desc, ref, options);
    } catch (err) {
      // docker-archive refuses an index it finds only by parsing the manifest; say it about the daemon.
      if (isKimgError(err, 'UNSUPPORTED')) throw refused;
      throw err;
    }
  }

  async commit(options: IoOptions = {}): Promise<void> {
    if (this.state !== 'open')
      throw new KimgError('INVALID_ARGUMENT', `${this.description} was already ${this.state}`);
    await this.archive.commit(options);
    try {
      await loadArchive(this.connection, this.archive.file, options.signal);
      this.state = 'committed';
    } finally {
      await this.dir.release();
    }
  }

  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    await this.archive.abort();
    await this.dir.release();
  }

  /** Closing an uncommitted destination discards it (Target contract: dropped without commit = unchanged). */
  async close(): Promise<void> {
    await this.abort();
  }
}
