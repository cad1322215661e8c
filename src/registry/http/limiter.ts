import { abortError } from './sleep';

/**
 * Per-host limit on parallel requests (issue 3 §7), in two lanes: `blob` for transfers that may hold a
 * connection for minutes, `small` for manifests, HEADs, tokens, tag lists. Each lane has its own slots, so a
 * HEAD is never queued behind four 1 GiB layers (containerd and skopeo both learned this the hard way: a token
 * refresh starved by downloads makes the downloads fail).
 */
export type Lane = 'small' | 'blob';

/** Consistent with containerd's and skopeo's default of parallel layer transfers per registry. */
export const DEFAULT_CONCURRENCY_PER_HOST = 4;

interface Waiter {
  resolve: (release: () => void) => void;
  reject: (err: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

class Semaphore {
  private active = 0;
  private readonly queue: Waiter[] = [];

  constructor(private readonly limit: number) {}

  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const at = this.queue.indexOf(waiter);
          if (at >= 0) this.queue.splice(at, 1);
          reject(abortError(signal));
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.queue.push(waiter);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.queue.shift();
      if (next) {
        if (next.onAbort) next.signal?.removeEventListener('abort', next.onAbort);
        next.resolve(this.releaser());
      } else {
        this.active--;
      }
    };
  }
}

export class HostLimiter {
  private readonly lanes = new Map<string, Semaphore>();

  constructor(private readonly perLane: number = DEFAULT_CONCURRENCY_PER_HOST) {
    if (!Number.isInteger(perLane) || perLane < 1)
      throw new RangeError(`concurrency must be ≥ 1, got ${perLane}`);
  }

  /** Resolves with a release function once a slot of `lane` on `host` is free. Release exactly once. */
  acquire(host: string, lane: Lane, signal?: AbortSignal): Promise<() => void> {
    const key = `${lane} ${host}`;
    let semaphore = this.lanes.get(key);
    if (!semaphore) {
      semaphore = new Semaphore(this.perLane);
      this.lanes.set(key, semaphore);
    }
    return semaphore.acquire(signal);
  }
}
