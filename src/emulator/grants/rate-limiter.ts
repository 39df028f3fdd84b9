/**
 * Per-application request budget (fixed one-second windows), answering SlowDownException like the
 * service's per-application quota does. Off unless the application sets rateLimitPerSecond.
 */
export class RateLimiter {
  private readonly windows = new Map<string, { second: number; count: number }>();

  /** True when this call fits in the current second's budget (and counts it). */
  tryAcquire(key: string, limitPerSecond: number, nowMs: number): boolean {
    const second = Math.floor(nowMs / 1000);
    const window = this.windows.get(key);
    if (window === undefined || window.second !== second) {
      this.windows.set(key, { second, count: 1 });
      return true;
    }
    window.count += 1;
    return window.count <= limitPerSecond;
  }

  clear(): void {
    this.windows.clear();
  }
}
