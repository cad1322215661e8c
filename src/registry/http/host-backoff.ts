import { sleep } from './sleep';

/**
 * Backoff shared by every request to one host (issue 3 §5): when a registry answers 429/503 or drops
 * connections, all our requests to it hold off, not only the one that saw the failure — otherwise 4 parallel
 * blob transfers keep hammering a registry that asked us to slow down.
 */
export class HostBackoff {
  private readonly notBefore = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Pushes the host's next allowed request time to at least `delayMs` from now. */
  delay(host: string, delayMs: number): void {
    const until = this.now() + delayMs;
    if (until > (this.notBefore.get(host) ?? 0)) this.notBefore.set(host, until);
  }

  /** Forgets the host's backoff after a success, so one bad minute does not slow the rest of the run. */
  clear(host: string): void {
    this.notBefore.delete(host);
  }

  remaining(host: string): number {
    return Math.max(0, (this.notBefore.get(host) ?? 0) - this.now());
  }

  async wait(host: string, signal?: AbortSignal): Promise<void> {
    for (let ms = this.remaining(host); ms > 0; ms = this.remaining(host)) await sleep(ms, signal);
  }
}
