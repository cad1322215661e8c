import type { ImageLocation } from '../reference';

/** How a batch image's source is resolved: the digest alone (a HEAD), or with its manifest (a GET). */
export type SourceResolve = 'head' | 'get';

/**
 * How a batch run resolves each image at its source (issue 12 "Work avoidance", "Latency"). A copied image reads
 * its manifest after resolving it: HEAD by tag, then GET by digest — two requests and two round trips on its
 * critical path where one GET by tag would do (`ReadingResolver`). An image the destination already has needs
 * the digest alone: there a GET is a wasted body, and Docker Hub counts manifest GETs, not HEADs, against its
 * pull limit — so a warm (no-op) run must stay on HEADs.
 *
 * The rule: an image is resolved with a GET when the image finished last before it started, at the same
 * destination, was copied (its manifest was missing there, so the source's was read: a copy streak); otherwise
 * — nothing finished yet, or the last one was already there — with a HEAD. Failed images say nothing.
 * One state per destination registry (other destinations: per transport), since whether a mirror is behind is a
 * property of the mirror.
 *
 * The waste is bounded: each image is started by the worker that just finished another, and the state is read
 * at that instant (copy/batch.ts), so in a run to one destination (a sync) each GET follows its own copied
 * image — at most one GET for an image already present per image copied, and none in a run that copies
 * nothing. The first wave (nothing finished) resolves by HEAD. "Copied" means something was pushed, so the
 * source's manifest was read (a manifest missing at the destination is pushed even when all its blobs are
 * there); an image present whose attached artifacts (`referrers`) were copied counts as copied too.
 */
export class SourceResolvePolicy {
  private readonly lastCopied = new Map<string, boolean>();

  /** How to resolve the next image bound for `to`; read when the image starts. */
  next(to: ImageLocation): SourceResolve {
    return this.lastCopied.get(destinationKey(to)) === true ? 'get' : 'head';
  }

  /** An image bound for `to` finished: `copied` (something moved), `skipped` (it was there) or `failed`. */
  finished(to: ImageLocation, status: 'copied' | 'skipped' | 'failed'): void {
    if (status !== 'failed') this.lastCopied.set(destinationKey(to), status === 'copied');
  }
}

function destinationKey(to: ImageLocation): string {
  return to.transport === 'docker' ? `docker://${to.reference.domain}` : to.transport;
}
