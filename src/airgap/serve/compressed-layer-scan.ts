import { createReadStream } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract } from 'tar-stream';
import { decompressorFor, normalizeEntryName } from '../../layer';

/**
 * Whether a compressed layer has anything under `folder` (an entry, or a whiteout of it or of a parent).
 * A compressed layer cannot be read in place, so serving needs to know whether it touches the folder at all; the
 * answer costs one decompression pass over its headers (content is skipped, nothing is written).
 */
export async function compressedLayerTouches(
  file: string,
  compression: 'gzip' | 'zstd',
  folder: string,
): Promise<boolean> {
  const reader = extract();
  const feeding = pipeline([
    createReadStream(file),
    ...decompressorFor(compression),
    reader as unknown as Writable,
  ]);
  feeding.catch(() => undefined);
  let found = false;
  for await (const entry of reader) {
    const { name } = normalizeEntryName(entry.header.name);
    const plain = name.replace(/(^|\/)\.wh\.(\.wh\.\.opq)?/, '$1');
    if (touches(plain, folder) || name === '.wh..wh..opq') {
      found = true;
      (entry as unknown as Readable).destroy();
      break;
    }
    (entry as unknown as Readable).resume();
  }
  if (found) reader.destroy();
  else await feeding;
  return found;
}

function touches(name: string, folder: string): boolean {
  return name === folder || name.startsWith(`${folder}/`);
}
