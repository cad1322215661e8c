import type { Descriptor } from '../manifest/descriptor';
import { parseImageLocation, type ImageLocation } from '../reference';
import { locationRef, openDestination, openSource, type OpenContext } from '../transport/open';
import type { ReadOnlyTarget } from '../transport/types';
import { transfer, type TransferOptions, type TransferResult } from './transfer';

/**
 * The one copy call for library users, in the spirit of go-containerregistry's `crane.Copy(src, dst)`: open both
 * ends, find the image, transfer it, name it, commit, close. `kimg copy`, `pull`, `push`, build's `--push` and
 * `--output`, and embedding are all this call; what differs is only the options.
 */
export interface CopyImageOptions extends TransferOptions {
  /** Store root and registry client of the run. */
  open: OpenContext;
  /**
   * Names the image gets at the destination. Default: the name the destination location carries, if any
   * (`docker://host/repo:tag`, `oci:DIR:REF`, a store name); none records an unnamed root.
   */
  names?: string[];
}

/** Copies the image `from` names to `to`. Strings are parsed as kimg image locations (`docker://…`, `oci:…`). */
export async function copyImage(
  from: ImageLocation | string,
  to: ImageLocation | string,
  options: CopyImageOptions,
): Promise<TransferResult> {
  const source = typeof from === 'string' ? parseImageLocation(from) : from;
  const target = await openSource(source, options.open);
  try {
    const ref = locationRef(source);
    return await copyFromTarget(target, ref === undefined ? {} : { ref }, to, options);
  } finally {
    await target.close();
  }
}

/**
 * `copyImage` from a target the caller already holds (a build's store, a source opened once for many copies):
 * the image is `item.ref` in it, or `item.descriptor` as given. The caller keeps and closes `source`.
 */
export async function copyFromTarget(
  source: ReadOnlyTarget,
  item: { ref?: string; descriptor?: Descriptor },
  to: ImageLocation | string,
  options: CopyImageOptions,
): Promise<TransferResult> {
  const location = typeof to === 'string' ? parseImageLocation(to) : to;
  const names = options.names ?? defaultNames(location);
  const destination = await openDestination(location, options.open);
  try {
    return await transfer(source, destination, [{ ...item, names }], options);
  } finally {
    await destination.close();
  }
}

function defaultNames(location: ImageLocation): string[] {
  const name = locationRef(location);
  return name === undefined ? [] : [name];
}
