/**
 * A LockManager (Web Locks API subset) shared in memory, standing in for navigator.locks, which
 * Node 20 lacks: exclusive locks granted in request order, `ifAvailable` answered with null.
 */
import type { LockManagerLike } from "../../../examples/client/src/index.js";

export function createMemoryLockManager(): LockManagerLike {
  const queues = new Map<string, Promise<void>>();

  async function request<T>(name: string, ...args: unknown[]): Promise<T> {
    const [options, callback] = (args.length === 1 ? [{}, args[0]] : args) as [{ ifAvailable?: boolean }, (lock: { name: string } | null) => Promise<T> | T];
    // As navigator.locks: ifAvailable is granted only when no one holds or awaits the lock, a request made in the same tick included.
    if (options.ifAvailable && queues.has(name)) return callback(null);
    const previous = queues.get(name) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    queues.set(name, tail);
    await previous;
    try {
      return await callback({ name });
    } finally {
      release();
      if (queues.get(name) === tail) queues.delete(name);
    }
  }
  return { request } as LockManagerLike;
}
