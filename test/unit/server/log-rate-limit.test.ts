import { describe, expect, it, vi } from "vitest";
import { createLogRateLimiter } from "../../../src/server/log-rate-limit.js";

describe("the log's per-kind budget", () => {
  it("lets N lines of a kind through per second, counts the rest, and reports them once when the second ends", () => {
    vi.useFakeTimers();
    try {
      let now = 0;
      const suppressed: Array<[string, number]> = [];
      const limiter = createLogRateLimiter({ linesPerSecond: 3, now: () => now, onSuppressed: (kind, count) => suppressed.push([kind, count]) });
      const allowed = Array.from({ length: 10 }, () => limiter.allow("refused BAD_USER_INPUT"));
      expect(allowed).toEqual([true, true, true, false, false, false, false, false, false, false]);
      // Another kind has its own budget.
      expect(limiter.allow("refused BAD_REQUEST")).toBe(true);
      expect(suppressed).toEqual([]);
      now = 1000;
      vi.advanceTimersByTime(1000);
      expect(suppressed).toEqual([["refused BAD_USER_INPUT", 7]]);
      expect(limiter.allow("refused BAD_USER_INPUT")).toBe(true);
      expect(suppressed).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it("reports what a new window finds unreported, and flush() reports the rest", () => {
    let now = 0;
    const suppressed: Array<[string, number]> = [];
    const limiter = createLogRateLimiter({ linesPerSecond: 1, now: () => now, onSuppressed: (kind, count) => suppressed.push([kind, count]) });
    limiter.allow("a");
    limiter.allow("a");
    now = 5000;
    expect(limiter.allow("a")).toBe(true);
    expect(suppressed).toEqual([["a", 1]]);
    limiter.allow("a");
    limiter.flush();
    expect(suppressed).toEqual([["a", 1], ["a", 1]]);
  });

  it("refuses options outside its contract", () => {
    expect(() => createLogRateLimiter({ linesPerSecond: 0, onSuppressed: () => {} })).toThrow(/linesPerSecond must be a positive integer \(got 0\)/);
  });
});
