/**
 * A value that is costly to produce (a Redis write for /readyz, rendering every metric for
 * /metrics), asked for by anyone who can reach the port, as often as they like: no caller limit
 * applies to those routes (a load balancer's health checks arrive from the same few addresses as
 * all its traffic, and must not be refused for it). Produced fresh for each ask up to `maxPerSecond`
 * times in any second, one production at a time shared by concurrent asks; past that, the last
 * value produced is answered (at most a second old under a flood). Monitoring that asks a few times
 * a second always sees a fresh value; a flood costs at most `maxPerSecond` productions a second.
 */
export interface RateBoundedSnapshot<T> {
  get(): Promise<T>;
}

export function createRateBoundedSnapshot<T>(produce: () => Promise<T>, options: { maxPerSecond: number; now?: () => number }): RateBoundedSnapshot<T> {
  const { maxPerSecond } = options;
  if (!Number.isSafeInteger(maxPerSecond) || maxPerSecond < 1) throw new TypeError(`createRateBoundedSnapshot: maxPerSecond must be a positive integer (got ${maxPerSecond})`);
  const now = options.now ?? (() => performance.now());
  // When each of the last maxPerSecond productions started (a ring): the oldest is the one to compare.
  const starts: number[] = [];
  let next = 0;
  let inFlight: Promise<T> | undefined;
  let last: { value: T } | undefined;

  const start = (at: number): Promise<T> => {
    if (starts.length < maxPerSecond) starts.push(at);
    else starts[next] = at;
    next = (next + 1) % maxPerSecond;
    const production = produce().then(
      (value) => {
        last = { value };
        return value;
      },
    ).finally(() => {
      inFlight = undefined;
    });
    inFlight = production;
    return production;
  };

  return {
    get() {
      if (inFlight !== undefined) return inFlight;
      const at = now();
      const oldest = starts.length < maxPerSecond ? undefined : starts[next];
      if (last !== undefined && oldest !== undefined && at - oldest < 1000) return Promise.resolve(last.value);
      return start(at);
    },
  };
}
