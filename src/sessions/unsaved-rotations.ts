import { isGatewayError } from "../errors/error-codes.js";
import type { Logger } from "../logging/logger.js";

/**
 * Session refreshes whose new tokens AWS issued but the session store failed to take (Redis went
 * away, or filled up, during the refresh's upstream call): the refresh token is spent, and without
 * its successor saved the session could only end (another replica would present the spent token
 * once the grace window had passed, and AWS refuses it). The rotation waits here, in process
 * memory, and is saved as soon as the store takes writes: by a retry every second, or at once when
 * a request for the old session id reaches this replica. Once saved, the old id forwards to the new
 * session on every replica, and the browser, still holding the old cookie, catches up.
 * The session ids are held in memory only, never logged.
 */
export interface UnsavedRotations {
  readonly size: number;
  /**
   * Keeps `save` (the rotation's writes) for `oldId` until it succeeds or `expiresAt` (the new session's end) passes.
   * Resolves when it is no longer waiting (saved, undone, expired or pushed out): until then the session's refresh
   * flight keeps its lock, so no other replica refreshes the session's spent token meanwhile.
   */
  keep(oldId: string, save: () => Promise<void>, expiresAt: number): Promise<void>;
  /** Saves `oldId`'s waiting rotation now, if there is one; rejects with the store's error while it still cannot. */
  saveNow(oldId: string): Promise<void>;
  /** Stops the retries (what is still waiting is lost). */
  close(): void;
}

interface Waiting {
  save: () => Promise<void>;
  expiresAt: number;
  saving?: Promise<void>;
  /** Resolves keep's promise: the rotation no longer waits. */
  left: () => void;
}

const RETRY_MS = 1_000;
/** One rotation per refresh the upstream budget allowed during an outage; past this the oldest goes (logged). */
const MAX_WAITING = 10_000;

export function createUnsavedRotations(options: { logger: Logger; now?: () => number; retryMs?: number }): UnsavedRotations {
  const { logger } = options;
  const now = options.now ?? Date.now;
  const waiting = new Map<string, Waiting>();
  let timer: NodeJS.Timeout | undefined;
  const leave = (oldId: string): void => {
    const entry = waiting.get(oldId);
    waiting.delete(oldId);
    entry?.left();
  };

  /** One save at a time per rotation; settled (and forgotten) unless the store is still unavailable. */
  function save(oldId: string, entry: Waiting): Promise<void> {
    entry.saving ??= entry.save().then(
      () => {
        leave(oldId);
        logger.info({}, "session refresh saved: the store took the new tokens it had failed to take");
      },
      (error: unknown) => {
        entry.saving = undefined;
        if (isGatewayError(error) && error.code === "SESSION_STORE_UNAVAILABLE") throw error;
        // Anything else ends the wait: a sign-out undid the rotation (UNAUTHENTICATED), or a fault that a retry would meet again.
        leave(oldId);
        if (!isGatewayError(error) || error.code !== "UNAUTHENTICATED") throw error;
      },
    );
    return entry.saving;
  }

  async function retryAll(): Promise<void> {
    const at = now();
    let expired = 0;
    for (const [oldId, entry] of waiting) {
      if (entry.expiresAt <= at) {
        leave(oldId);
        expired += 1;
        continue;
      }
      // One rotation still refused means the store is: the others wait for the next round.
      if (!(await save(oldId, entry).then(() => true, (error: unknown) => !(isGatewayError(error) && error.code === "SESSION_STORE_UNAVAILABLE")))) break;
    }
    if (expired > 0) logger.warn({ expired }, "session refreshes lost: the store did not take their new tokens before the sessions would have ended");
    if (waiting.size === 0) stop();
  }

  function stop(): void {
    clearInterval(timer);
    timer = undefined;
  }

  return {
    get size() {
      return waiting.size;
    },
    keep(oldId, saveRotation, expiresAt) {
      leave(oldId);
      let left!: () => void;
      const gone = new Promise<void>((resolve) => {
        left = resolve;
      });
      waiting.set(oldId, { save: saveRotation, expiresAt, left });
      if (waiting.size > MAX_WAITING) {
        leave(waiting.keys().next().value!);
        logger.warn({ max: MAX_WAITING }, "session refresh lost: too many refreshes wait for the store");
      }
      logger.warn({ waiting: waiting.size }, "session refresh not saved: the store failed after the refresh; its new tokens wait in process memory until it takes them");
      if (timer === undefined) {
        timer = setInterval(() => void retryAll().catch(() => undefined), options.retryMs ?? RETRY_MS);
        timer.unref();
      }
      return gone;
    },
    async saveNow(oldId) {
      const entry = waiting.get(oldId);
      if (entry !== undefined) await save(oldId, entry);
    },
    close() {
      stop();
      for (const oldId of [...waiting.keys()]) leave(oldId);
    },
  };
}
