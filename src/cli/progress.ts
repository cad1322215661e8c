import type { CopyEvent } from '../copy/copy-graph';
import { formatBytes } from './output';
import { terminalLine } from './terminal-text';

/**
 * Progress of a copy on stderr. On a TTY: one status line redrawn at most 10 times a second (blobs in flight,
 * bytes, rate, copied/skipped counts). Otherwise: one plain line per finished blob, so logs stay readable.
 * Silent with --quiet or --format json.
 */
export class ProgressReporter {
  private readonly active = new Map<string, { size: number; bytes: number }>();
  private copied = 0;
  private skipped = 0;
  private mounted = 0;
  private bytes = 0;
  private lastDraw = 0;
  private readonly started = Date.now();

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly enabled = true,
  ) {}

  private get tty(): boolean {
    return this.stream.isTTY === true;
  }

  /** Whether bytes in flight are drawn (the TTY status line); plain lines need only the per-blob events. */
  get drawsBytes(): boolean {
    return this.enabled && this.tty;
  }

  readonly onEvent = (event: CopyEvent): void => {
    if (!this.enabled) return;
    const { digest, size } = event.descriptor;
    switch (event.type) {
      case 'start':
        this.active.set(digest, { size, bytes: 0 });
        break;
      case 'progress': {
        const entry = this.active.get(digest);
        if (entry) {
          this.bytes += event.bytes - entry.bytes;
          entry.bytes = event.bytes;
        }
        break;
      }
      case 'skipped':
        this.skipped++;
        if (!this.tty) this.writeLine(`Skipped ${short(digest)} (already there)`);
        break;
      case 'mounted':
        this.mounted++;
        this.active.delete(digest);
        if (!this.tty) this.writeLine(`Mounted ${short(digest)} ${formatBytes(size)} (same registry)`);
        break;
      case 'copied':
        this.copied++;
        this.active.delete(digest);
        if (!this.tty) this.writeLine(`Copied  ${short(digest)} ${formatBytes(size)}`);
        break;
    }
    if (this.tty) this.draw(event.type !== 'progress');
  };

  private draw(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const seconds = Math.max((now - this.started) / 1000, 0.001);
    const inFlight = [...this.active.entries()]
      .map(
        ([digest, { size, bytes }]) => `${short(digest)} ${Math.floor((bytes / Math.max(size, 1)) * 100)}%`,
      )
      .slice(0, 3)
      .join('  ');
    const line = `${this.copied} copied, ${this.skipped} skipped, ${this.mounted} mounted, ${formatBytes(this.bytes)} at ${formatBytes(this.bytes / seconds)}/s  ${inFlight}`;
    // Our own control sequence (return, erase line) around a line whose text is escaped (terminal-text.ts).
    this.stream.write(`\r\x1b[K${terminalLine(line).slice(0, (this.stream.columns ?? 120) - 1)}`);
  }

  /** A plain progress line; digests come from manifests, so they are escaped like any text from inputs. */
  private writeLine(line: string): void {
    this.stream.write(`${terminalLine(line)}\n`);
  }

  /** Ends the status line on a TTY. */
  finish(): void {
    if (this.enabled && this.tty) this.stream.write('\r\x1b[K');
  }
}

function short(digest: string): string {
  return digest.slice(0, 19);
}
