import type { StoreLogger } from "../store/index.js";

/** At most one line per topic per interval: a flood must not turn into a flood of log lines. */
export const THROTTLED_LOG_INTERVAL_MS = 60_000;

export type ThrottledLog = (topic: string, fields: object, message: string) => void;

/**
 * Logs the first line of each topic, then drops the same topic's lines for `intervalMs`; the next
 * line logged says how many were dropped (`suppressed`).
 */
export function createThrottledLog(logger: StoreLogger, level: "info" | "warn", intervalMs = THROTTLED_LOG_INTERVAL_MS): ThrottledLog {
  const topics = new Map<string, { until: number; suppressed: number }>();
  return (topic, fields, message) => {
    const now = Date.now();
    const state = topics.get(topic);
    if (state !== undefined && now < state.until) {
      state.suppressed += 1;
      return;
    }
    topics.set(topic, { until: now + intervalMs, suppressed: 0 });
    logger[level]({ ...fields, ...(state && state.suppressed > 0 ? { suppressed: state.suppressed } : {}) }, message);
  };
}
