/**
 * The slice of the Web Locks API (navigator.locks) TokenManager uses. Browsers have it; Node 20
 * does not (then the BroadcastChannel election alone keeps tabs from refreshing together).
 */
export interface LockLike {
  name: string;
}

export interface LockManagerLike {
  request<T>(name: string, callback: (lock: LockLike | null) => Promise<T> | T): Promise<T>;
  request<T>(name: string, options: { ifAvailable?: boolean }, callback: (lock: LockLike | null) => Promise<T> | T): Promise<T>;
}

export function defaultLockManager(): LockManagerLike | undefined {
  const navigatorLike = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator;
  return navigatorLike?.locks;
}
