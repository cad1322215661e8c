import { abortError } from './sleep';

/**
 * Per-host limit on parallel requests (issue 3 §7), in two lanes: `blob` for transfers that may hold a
 * connection for minutes, `small` for manifests, HEADs, tokens, tag lists. Each lane has its own slots, so a
 * HEAD is never queued behind four 1 GiB layers (containerd and skopeo both learned this the hard way: a token
 * refresh starved by downloads makes the downloads fail).
 */
export type Lane = 'small' | 'blob';

/** Parallel blob transfers per registry, as the copy engine's DEFAULT_COPY_CONCURRENCY (skopeo's default). */
export const DEFAULT_CONCURRENCY_PER_HOST = 6;

/**
 * Small requests per host for each blob slot. A small request is one round trip that holds nothing for long,
 * and an 8-layer image asks 9 blob HEADs at once, beside the upload POSTs: 4 at a time took 3 round trips
 * before the last upload could start (issue 12 "Latency": over 40 ms per request the queue was the time).
 * skopeo sends its HEADs 6 at a time; 12 per host stays well under what registries allow one client.
 */
export const SMALL_LANE_FACTOR = 2;

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

  /** `perLane` blob transfers per host, and SMALL_LANE_FACTOR times as many small requests. */
  constructor(private readonly perLane: number = DEFAULT_CONCURRENCY_PER_HOST) {
    if (!Number.isInteger(perLane) || perLane < 1)
      throw new RangeError(`concurrency must be ≥ 1, got ${perLane}`);
  }

  /** Connections a host's pool needs so that neither lane waits for a socket the other holds. */
  static connectionsFor(perLane: number): number {
    return perLane * (1 + SMALL_LANE_FACTOR);
  }

  /** Resolves with a release function once a slot of `lane` on `host` is free. Release exactly once. */
  acquire(host: string, lane: Lane, signal?: AbortSignal): Promise<() => void> {
    const key = `${lane} ${host}`;
    let semaphore = this.lanes.get(key);
    if (!semaphore) {
      semaphore = new Semaphore(lane === 'small' ? this.perLane * SMALL_LANE_FACTOR : this.perLane);
      this.lanes.set(key, semaphore);
    }
    return semaphore.acquire(signal);
  }
}
