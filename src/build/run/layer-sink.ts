import type { Readable } from 'node:stream';
import type { Descriptor } from '../../manifest/descriptor';

/** What a layer writer returns: the blob it stored (compressed) and the digest of the tar itself. */
export interface StoredLayer {
  descriptor: Descriptor;
  diffId: string;
}

/**
 * Stores one layer tar: compresses it, computes diff ID, compressed digest and size in one pass and puts the blob
 * where the build keeps its blobs. RUN produces the tar; the build injects the writer (src/layer's streaming
 * layer writer, with the build's compression), so RUN never decides compression or where blobs go.
 */
export type LayerSink = (tar: Readable, options?: { signal?: AbortSignal }) => Promise<StoredLayer>;
