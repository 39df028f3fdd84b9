import { Counter } from "prom-client";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { GatewayError } from "../../../src/errors/error-codes.js";
import { createKeyspace, createMemoryStore } from "../../../src/store/index.js";
import { createLateCodeAnswers, createSingleUseDeadline, type SingleUseCall } from "../../../src/tokens/single-use-deadline.js";
import type { IssuedToken } from "../../../src/tokens/token.types.js";
import { recordingStoreLogger, storeFailing, storeRecordingTtls } from "./store-doubles.js";

/**
 * UPSTREAM_DEADLINE_MS for single-use grants, driven by fake timers and an upstream call the test
 * settles by hand: what the caller is answered, and what the operator is told, at each point.
 */
const APP = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222";
const token: IssuedToken = { clientId: APP, issuedAt: 1_700_000_000_000, accessToken: "at", refreshToken: "rt", expiresIn: 3600 };
const DEADLINE_MS = 1_000;

function outcomes() {
  const metric = new Counter<"grant" | "outcome">({ name: "test_single_use_total", help: "test", labelNames: ["grant", "outcome"], registers: [] });
  const counts = async () => Object.fromEntries((await metric.get()).values.map(({ labels, value }) => [`${labels.grant}/${labels.outcome}`, value]));
  return { metric, counts };
}

/** An upstream call that settles when the test says so; `lead` marks the caller as the flight's leader. */
function heldCall(lead: boolean) {
  let settle!: { resolve: (token: IssuedToken) => void; reject: (error: unknown) => void };
  let seen!: SingleUseCall;
  const flight = (call: SingleUseCall) => {
    seen = call;
    call.led = lead;
    return new Promise<IssuedToken>((resolve, reject) => (settle = { resolve, reject }));
  };
  return { flight, settle: () => settle, call: () => seen };
}

/** Records how a promise settled, without awaiting it (so the test keeps control of the clock). */
function watch<T>(promise: Promise<T>) {
  const state: { value?: T; error?: unknown; settled: boolean } = { settled: false };
  promise.then((value) => Object.assign(state, { value, settled: true }), (error: unknown) => Object.assign(state, { error, settled: true }));
  return state;
}

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

describe("single-use deadline", () => {
  it("answers the leader's caller with the upstream answer that comes before the deadline, silently", async () => {
    const logger = recordingStoreLogger();
    const counter = outcomes();
    const held = heldCall(true);
    const answer = watch(createSingleUseDeadline({ deadlineMs: DEADLINE_MS, logger, counter: counter.metric }).run("refresh_token", held.flight));
    held.settle().resolve(token);
    await vi.advanceTimersByTimeAsync(DEADLINE_MS * 2);
    expect(answer).toEqual({ value: token, settled: true });
    expect(held.call().late).toBe(false);
    expect(logger.lines).toEqual([]);
    expect(await counter.counts()).toEqual({});
  });

  it("answers the leader's caller UPSTREAM_UNAVAILABLE at the deadline, not a moment before, logs and counts it, and lets the call go on", async () => {
    const logger = recordingStoreLogger();
    const counter = outcomes();
    const held = heldCall(true);
    const answer = watch(createSingleUseDeadline({ deadlineMs: DEADLINE_MS, logger, counter: counter.metric }).run("authorization_code", held.flight));
    await vi.advanceTimersByTimeAsync(DEADLINE_MS - 1);
    expect(answer.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(answer.error).toBeInstanceOf(GatewayError);
    expect(answer.error).toMatchObject({ code: "UPSTREAM_UNAVAILABLE", message: "Identity Center did not answer in time; retry this request to receive its answer." });
    expect(held.call().late).toBe(true);
    expect(logger.lines).toEqual([
      { level: "error", fields: { grant: "authorization_code", deadlineMs: DEADLINE_MS }, message: "single-use exchange passed UPSTREAM_DEADLINE_MS: answered UPSTREAM_UNAVAILABLE; the upstream call goes on and its answer is kept for the retry" },
    ]);
    held.settle().resolve(token);
    await vi.advanceTimersByTimeAsync(0);
    expect(await counter.counts()).toEqual({ "authorization_code/deadline": 1 });
    expect(logger.lines).toHaveLength(1);
  });

  it("lets a caller that joined another caller's call wait past the deadline for that call's answer", async () => {
    const logger = recordingStoreLogger();
    const held = heldCall(false);
    const answer = watch(createSingleUseDeadline({ deadlineMs: DEADLINE_MS, logger }).run("refresh_token", held.flight));
    await vi.advanceTimersByTimeAsync(DEADLINE_MS * 3);
    expect(answer.settled).toBe(false);
    held.settle().resolve(token);
    await vi.advanceTimersByTimeAsync(0);
    expect(answer).toEqual({ value: token, settled: true });
    expect(logger.lines).toEqual([]);
  });

  it("passes a failure before the deadline to the caller as it is, silently", async () => {
    const logger = recordingStoreLogger();
    const counter = outcomes();
    const held = heldCall(true);
    const answer = watch(createSingleUseDeadline({ deadlineMs: DEADLINE_MS, logger, counter: counter.metric }).run("refresh_token", held.flight));
    const refusal = new GatewayError("INVALID_GRANT");
    held.settle().reject(refusal);
    await vi.advanceTimersByTimeAsync(DEADLINE_MS * 2);
    expect(answer.error).toBe(refusal);
    expect(logger.lines).toEqual([]);
    expect(await counter.counts()).toEqual({});
  });

  it("logs and counts a call that fails after its caller was answered, naming the error code (INTERNAL_SERVER_ERROR for a non-gateway error)", async () => {
    const logger = recordingStoreLogger();
    const counter = outcomes();
    const deadline = createSingleUseDeadline({ deadlineMs: DEADLINE_MS, logger, counter: counter.metric });
    const failures = [new GatewayError("UPSTREAM_UNAVAILABLE"), new Error("socket hang up")];
    for (const failure of failures) {
      const held = heldCall(true);
      watch(deadline.run("refresh_token", held.flight));
      await vi.advanceTimersByTimeAsync(DEADLINE_MS);
      held.settle().reject(failure);
      await vi.advanceTimersByTimeAsync(0);
    }
    const message = "single-use exchange: the call that passed UPSTREAM_DEADLINE_MS failed; the caller's retry will call again";
    expect(logger.lines.filter((line) => line.message === message).map((line) => [line.level, line.fields])).toEqual([
      ["error", { grant: "refresh_token", code: "UPSTREAM_UNAVAILABLE" }],
      ["error", { grant: "refresh_token", code: "INTERNAL_SERVER_ERROR" }],
    ]);
    expect(await counter.counts()).toEqual({ "refresh_token/deadline": 2, "refresh_token/failed": 2 });
  });

  it("warns and counts a late answer kept for the retry", async () => {
    const logger = recordingStoreLogger();
    const counter = outcomes();
    createSingleUseDeadline({ deadlineMs: DEADLINE_MS, logger, counter: counter.metric }).kept("authorization_code");
    expect(logger.lines).toEqual([{ level: "warn", fields: { grant: "authorization_code" }, message: "single-use exchange: kept the late answer for the caller's retry" }]);
    expect(await counter.counts()).toEqual({ "authorization_code/kept": 1 });
  });
});

describe("late authorization-code answers", () => {
  beforeEach(() => void vi.useRealTimers());
  const keyspace = createKeyspace({ secret: Buffer.alloc(32, 3) });

  it("hands a kept answer out once, to the fingerprint it was kept under, and keeps it for five minutes", async () => {
    const { store: recording, ttls } = storeRecordingTtls(createMemoryStore());
    const logger = recordingStoreLogger();
    const answers = createLateCodeAnswers({ store: recording, keyspace, logger });
    await answers.keep("fp-1", token);
    expect(ttls).toEqual([5 * 60_000]);
    expect(await answers.find("fp-2")).toBeUndefined();
    expect(await answers.find("fp-1")).toEqual(token);
    expect(await answers.find("fp-1")).toBeUndefined();
    // Nothing kept is the everyday case (no code answer was late), not a failure: no warning.
    expect(logger.lines).toEqual([]);
  });

  it("gives nothing to a retry that lost the take to another replica", async () => {
    const store = createMemoryStore();
    const answers = createLateCodeAnswers({ store, keyspace, logger: recordingStoreLogger() });
    await answers.keep("fp", token);
    const racing = Object.assign(Object.create(store), { deleteIfEquals: async () => false });
    expect(await createLateCodeAnswers({ store: racing, keyspace, logger: recordingStoreLogger() }).find("fp")).toBeUndefined();
  });

  it("never fails the exchange on a store failure: a failed lookup is a warn, a failed keep an error, each with the first line of the cause", async () => {
    const logger = recordingStoreLogger();
    const answers = createLateCodeAnswers({ store: storeFailing(createMemoryStore(), ["get", "set"]), keyspace, logger });
    expect(await answers.find("fp")).toBeUndefined();
    await answers.keep("fp", token);
    expect(logger.lines).toEqual([
      { level: "warn", fields: { reason: "redis down: ECONNREFUSED" }, message: "late answers: lookup failed" },
      { level: "error", fields: { reason: "redis down: ECONNREFUSED" }, message: "late answers: could not keep a single-use grant's late answer" },
    ]);
  });
});
