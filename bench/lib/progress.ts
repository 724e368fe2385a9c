/**
 * The one progress line on stderr, rewritten in place on a terminal (and printed every few
 * seconds as plain lines elsewhere, so logs stay readable). stdout stays pure JSON lines.
 */

const TTY = Boolean(process.stderr.isTTY);
const LOG_EVERY_MS = 5_000;

/** A progress line: `set` as often as you like, `done` before printing results. */
export class Progress {
  private last = 0;
  private shown = false;
  private text = "";
  private lastLogged = "";
  private readonly timer: ReturnType<typeof setInterval>;

  /** @param render called about 4×/s while the line is active; returns the current text. */
  constructor(private readonly prefix: string, private render?: () => string) {
    this.timer = setInterval(() => this.tick(), 250);
    this.timer.unref();
  }

  /** Replaces what the line shows (a renderer, or fixed text). */
  set(what: string | (() => string)): void {
    if (typeof what === "string") {
      this.render = undefined;
      this.text = what;
    } else this.render = what;
    this.tick();
  }

  private tick(): void {
    const text = `${this.prefix} ${this.render ? this.render() : this.text}`;
    const now = Date.now();
    if (TTY) {
      if (now - this.last < 200 && this.shown) return;
      process.stderr.write(`\r${text.slice(0, (process.stderr.columns || 120) - 1)}\x1b[K`);
    } else {
      if (now - this.last < LOG_EVERY_MS || text === this.lastLogged) return;
      process.stderr.write(`${text}\n`);
      this.lastLogged = text;
    }
    this.last = now;
    this.shown = true;
  }

  /** Clears the line (terminal) so the next output starts clean. */
  done(): void {
    clearInterval(this.timer);
    if (TTY && this.shown) process.stderr.write("\r\x1b[K");
    this.shown = false;
  }

  /** A message that stays: clears the progress line first. */
  note(message: string): void {
    if (TTY && this.shown) process.stderr.write("\r\x1b[K");
    process.stderr.write(`${message}\n`);
    this.shown = false;
  }
}
