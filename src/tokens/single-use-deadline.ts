import type { Counter } from "prom-client";
import { GatewayError, isGatewayError } from "../errors/error-codes.js";
import type { Keyspace } from "../store/keyspace.js";
import { describeError } from "../store/store-options.js";
import type { Store, StoreLogger } from "../store/store.types.js";
import { decodeIssuedToken, encodeIssuedToken } from "./issued-token-codec.js";
import type { IssuedToken } from "./token.types.js";

/** What a single-use exchange's flight learns while it runs: whether this caller leads it, and whether its caller was already answered. */
export interface SingleUseCall {
  /** Set by the flight's function: this caller made the upstream call (followers wait for theirs). */
  led: boolean;
  /** Set at the deadline: the caller was answered UPSTREAM_UNAVAILABLE; the answer, when it comes, is late. */
  late: boolean;
  /**
   * Set by the flight's function once it holds its caller's answer (AWS answered, or a kept answer was
   * taken): the deadline no longer cuts the caller off. The flight kept a late answer only when it saw
   * `late` right after AWS answered; a deadline passing after that look, while the flight handed its
   * answer to followers and released its lock (one Redis round trip, longer on a slow Redis), answered
   * UPSTREAM_UNAVAILABLE with the grant spent and nothing kept, and the retry met INVALID_GRANT (a review).
   * What is left is store steps, each bounded by the store's own command timeout.
   */
  answered: boolean;
}

/**
 * Answers the caller of a single-use exchange (refresh token, authorization code) by `deadlineMs`
 * while the upstream call it leads goes on: AWS may already have consumed the grant, so the call is
 * neither cut short nor replayed, and its late answer is kept by the flight for the caller's retry.
 * A caller that joined another caller's call (a retry) waits for that call's answer instead,
 * bounded by the single-flight wait: its grant must not reach AWS a second time. Once the flight
 * holds the answer (`answered`), the caller waits for it: the deadline is for a slow AWS.
 */
export function answerByDeadline(
  deadlineMs: number,
  run: (call: SingleUseCall) => Promise<IssuedToken>,
  onDeadline: () => void,
): Promise<IssuedToken> {
  const call: SingleUseCall = { led: false, late: false, answered: false };
  const outcome = run(call);
  return new Promise<IssuedToken>((resolve, reject) => {
    const timer = setTimeout(() => {
      if (!call.led || call.answered) return;
      call.late = true;
      onDeadline();
      reject(new GatewayError("UPSTREAM_UNAVAILABLE", "Identity Center did not answer in time; retry this request to receive its answer."));
    }, deadlineMs);
    outcome.then(
      (token) => {
        clearTimeout(timer);
        resolve(token);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

export interface SingleUseDeadline {
  /** Runs a single-use exchange's flight, answering its caller by the deadline (see answerByDeadline); logs and counts what happens after. */
  run(grant: string, flight: (call: SingleUseCall) => Promise<IssuedToken>): Promise<IssuedToken>;
  /** The flight kept a late answer for the caller's retry. */
  kept(grant: string): void;
}

/**
 * UPSTREAM_DEADLINE_MS for single-use grants, with its operator signals: the deadline passing is
 * logged at error and counted (`deadline`), a late answer kept is counted (`kept`), a call that
 * fails after its caller was answered is logged at error and counted (`failed`).
 */
export function createSingleUseDeadline(options: { deadlineMs: number; logger: StoreLogger; counter?: Pick<Counter<"grant" | "outcome">, "inc"> | undefined }): SingleUseDeadline {
  const { deadlineMs, logger, counter } = options;
  return {
    run(grant, flight) {
      return answerByDeadline(deadlineMs, (call) => flight(call).catch((error: unknown) => {
        if (call.late) {
          counter?.inc({ grant, outcome: "failed" });
          logger.error({ grant, code: isGatewayError(error) ? error.code : "INTERNAL_SERVER_ERROR" }, "single-use exchange: the call that passed UPSTREAM_DEADLINE_MS failed; the caller's retry will call again");
        }
        throw error;
      }), () => {
        counter?.inc({ grant, outcome: "deadline" });
        logger.error({ grant, deadlineMs }, "single-use exchange passed UPSTREAM_DEADLINE_MS: answered UPSTREAM_UNAVAILABLE; the upstream call goes on and its answer is kept for the retry");
      });
    },
    kept(grant) {
      counter?.inc({ grant, outcome: "kept" });
      logger.warn({ grant }, "single-use exchange: kept the late answer for the caller's retry");
    },
  };
}

/** How long a single-use grant's late answer waits for the caller's retry. Short: a code's own life is minutes, and a retry comes soon. */
export const LATE_CODE_ANSWER_TTL_MS = 5 * 60_000;

/**
 * Late answers of single-use grants (authorization codes, and refresh tokens past the grace window),
 * sealed, keyed by the exchange fingerprint (which covers the code and its PKCE verifier, or the
 * refresh token: only the caller holding them can collect it). Shared across replicas through the
 * store, and taken by the first retry that finds it (single use, as the grant was). A store failure
 * is logged and never fails the exchange.
 */
export interface LateCodeAnswers {
  find(fingerprint: string): Promise<IssuedToken | undefined>;
  keep(fingerprint: string, token: IssuedToken): Promise<void>;
  /**
   * An answer its operation did not deliver (undelivered-answers.plugin.ts), kept unless the answer was already handed
   * out another way (discard's mark): a retry that joined the call, or got the grace successor. Never rejects.
   */
  keepUndelivered(fingerprint: string, token: IssuedToken): Promise<void>;
  /**
   * Drops a kept answer its caller received another way (a refresh's grace successor, a retry that joined the call): it
   * is handed out once. Leaves a mark for LATE_CODE_ANSWER_TTL_MS that keepUndelivered respects: a client that gave up
   * and retried at once joined its own call still at AWS and got the answer, and the abandoned request, answering after
   * that, kept it again, for a second holder of the old refresh token past the grace window (a review). Never rejects.
   */
  discard(fingerprint: string): Promise<void>;
}

/** What discard leaves under a fingerprint: never a sealed answer (those are longer and open only with the key). */
const HANDED_OUT = Buffer.from("handed-out");

export function createLateCodeAnswers(options: { store: Store; keyspace: Keyspace; logger: StoreLogger }): LateCodeAnswers {
  const { store, keyspace, logger } = options;
  const keyOf = (fingerprint: string): string => keyspace.key("late-code-answer", fingerprint);
  return {
    async find(fingerprint) {
      const key = keyOf(fingerprint);
      try {
        const sealed = await store.get(key);
        if (sealed === null || sealed.equals(HANDED_OUT)) return undefined;
        // Taken, not read: an authorization code's answer is handed out once, like the code itself.
        return (await store.deleteIfEquals(key, sealed)) ? decodeIssuedToken(keyspace.open(key, sealed)) : undefined;
      } catch (error) {
        logger.warn({ reason: describeError(error) }, "late answers: lookup failed");
        return undefined;
      }
    },
    async discard(fingerprint) {
      try {
        await store.set(keyOf(fingerprint), HANDED_OUT, LATE_CODE_ANSWER_TTL_MS);
      } catch (error) {
        logger.warn({ reason: describeError(error) }, "late answers: could not drop one handed out as a grace successor");
      }
    },
    async keep(fingerprint, token) {
      const key = keyOf(fingerprint);
      try {
        await store.set(key, keyspace.seal(key, encodeIssuedToken(token)), LATE_CODE_ANSWER_TTL_MS);
      } catch (error) {
        logger.error({ reason: describeError(error) }, "late answers: could not keep a single-use grant's late answer");
      }
    },
    async keepUndelivered(fingerprint, token) {
      const key = keyOf(fingerprint);
      try {
        // Not over discard's mark; nothing else is there (a kept answer this operation received was taken by it).
        await store.setIfAbsent(key, keyspace.seal(key, encodeIssuedToken(token)), LATE_CODE_ANSWER_TTL_MS);
      } catch (error) {
        logger.error({ reason: describeError(error) }, "late answers: could not keep a single-use grant's late answer");
      }
    },
  };
}
