/**
 * A LockManager (Web Locks API subset) shared in memory, standing in for navigator.locks, which
 * Node 20 lacks: exclusive locks granted in request order, `ifAvailable` answered with null.
 */
import type { LockManagerLike } from "../../../examples/client/src/index.js";

export function createMemoryLockManager(): LockManagerLike {
  const queues = new Map<string, Promise<void>>();
  const held = new Set<string>();

  async function request<T>(name: string, ...args: unknown[]): Promise<T> {
    const [options, callback] = (args.length === 1 ? [{}, args[0]] : args) as [{ ifAvailable?: boolean }, (lock: { name: string } | null) => Promise<T> | T];
    if (options.ifAvailable && held.has(name)) return callback(null);
    const previous = queues.get(name) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    queues.set(name, tail);
    await previous;
    held.add(name);
    try {
      return await callback({ name });
    } finally {
      held.delete(name);
      release();
      if (queues.get(name) === tail) queues.delete(name);
    }
  }
  return { request } as LockManagerLike;
}
