/**
 * A per-kind budget of log lines: at most `linesPerSecond` lines of one kind per second; the rest
 * of that second are counted, and one line says how many were suppressed once the second is over.
 * Hostile input is cheap to send and each refusal logs a line: without a budget, a caller at its
 * rate limit sets the log volume (and the log shipper's bill), and buries every other line.
 *
 * Seconds are fixed windows per kind, started by that kind's first line; the "suppressed" line is
 * written by an unref'd timer at the window's end, so a flood that stops is still reported.
 */

export interface LogRateLimiter {
  /** True when a line of `kind` may be written now; false when it is suppressed (and counted). */
  allow(kind: string): boolean;
  /** Reports any suppressed counts now (e.g. on shutdown) and cancels the timers. */
  flush(): void;
}

export interface LogRateLimiterOptions {
  /** Lines of one kind per second; more are suppressed. */
  linesPerSecond: number;
  /** Called once per kind and window in which lines were suppressed. */
  onSuppressed: (kind: string, suppressed: number) => void;
  /** For tests: the clock, in ms. */
  now?: () => number;
}

const WINDOW_MS = 1000;

interface Window {
  startedAt: number;
  lines: number;
  suppressed: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export function createLogRateLimiter(options: LogRateLimiterOptions): LogRateLimiter {
  const { linesPerSecond, onSuppressed } = getValidOptions(options);
  const now = options.now ?? Date.now;
  const windows = new Map<string, Window>();

  const report = (kind: string, window: Window) => {
    if (window.timer !== undefined) clearTimeout(window.timer);
    window.timer = undefined;
    if (window.suppressed > 0) onSuppressed(kind, window.suppressed);
    window.suppressed = 0;
  };

  return {
    allow(kind) {
      const at = now();
      let window = windows.get(kind);
      if (window === undefined || at - window.startedAt >= WINDOW_MS) {
        if (window !== undefined) report(kind, window);
        window = { startedAt: at, lines: 0, suppressed: 0, timer: undefined };
        windows.set(kind, window);
      }
      if (window.lines < linesPerSecond) {
        window.lines++;
        return true;
      }
      window.suppressed++;
      if (window.timer === undefined) {
        const current = window;
        current.timer = setTimeout(() => report(kind, current), Math.max(0, current.startedAt + WINDOW_MS - at));
        current.timer.unref?.();
      }
      return false;
    },
    flush() {
      for (const [kind, window] of windows) report(kind, window);
    },
  };
}

function getValidOptions(options: LogRateLimiterOptions): LogRateLimiterOptions {
  if (!Number.isInteger(options?.linesPerSecond) || options.linesPerSecond < 1) {
    throw new TypeError(`createLogRateLimiter: linesPerSecond must be a positive integer (got ${String(options?.linesPerSecond)})`);
  }
  if (typeof options.onSuppressed !== "function") throw new TypeError("createLogRateLimiter: onSuppressed must be a function (kind, suppressed) => void");
  return options;
}
