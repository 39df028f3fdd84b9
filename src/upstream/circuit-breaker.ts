import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhen, type CircuitBreakerPolicy } from "cockatiel";
import { GatewayError, type ErrorCode } from "../errors/error-codes.js";
import type { Logger } from "../logging/logger.js";
import type { UpstreamHealth } from "./upstream.types.js";

/**
 * Fails fast while Identity Center is down instead of letting every login wait out a timeout
 * (and its retries) against a dead upstream. Only availability faults count: timeouts, dropped
 * or refused connections, 5xx. A rejected grant (INVALID_GRANT …) or throttling (SLOW_DOWN) is
 * AWS answering, so it counts as a success and resets the count.
 *
 * After `threshold` consecutive availability faults the circuit opens: calls fail at once with
 * UPSTREAM_UNAVAILABLE and no request leaves the gateway. After `cooldownMs` the next call is let
 * through as a probe (half-open; concurrent calls wait for its outcome): an answer closes the
 * circuit, another availability fault opens it for another cool-down.
 */
export interface UpstreamCircuit {
  /** Runs `call` (which rejects with GatewayErrors only) through the breaker. */
  run<T>(call: () => Promise<T>): Promise<T>;
  health(): CircuitHealth;
}

/** The breaker's part of the upstream's health (create-upstream.ts adds the credentials' part). */
export type CircuitHealth = Omit<UpstreamHealth, "credentials">;

export interface UpstreamCircuitOptions {
  /** Consecutive availability faults that open the circuit. */
  threshold: number;
  /** How long the circuit stays open before a probe is let through, ms. */
  cooldownMs: number;
  logger: Logger;
  /** The service behind the breaker, as its logs and errors name it. Default "Identity Center". */
  service?: string;
}

/** The codes that mean "Identity Center is not answering properly", as opposed to "it said no". */
const AVAILABILITY_FAULTS: ReadonlySet<ErrorCode> = new Set(["UPSTREAM_UNAVAILABLE", "UPSTREAM_SERVER_ERROR"]);

export function isAvailabilityFault(error: unknown): boolean {
  return error instanceof GatewayError && AVAILABILITY_FAULTS.has(error.code);
}

/** AWS's answer carried through the breaker as a value, so a rejection counts as a success. */
type Outcome<T> = { answered: T } | { rejected: unknown };

export function createUpstreamCircuit(options: UpstreamCircuitOptions): UpstreamCircuit {
  const { threshold, cooldownMs, logger } = getValidCircuitOptions(options);
  const service = options.service ?? "Identity Center";
  const policy: CircuitBreakerPolicy = circuitBreaker(handleWhen(isAvailabilityFault), {
    halfOpenAfter: cooldownMs,
    breaker: new ConsecutiveBreaker(threshold),
  });
  let openedAt = 0;
  policy.onBreak(() => {
    openedAt = Date.now();
    logger.warn({ threshold, cooldownMs, service }, "upstream circuit opened: failing fast until a probe succeeds");
  });
  policy.onHalfOpen(() => logger.info({ service }, `upstream circuit half-open: probing ${service}`));
  policy.onReset(() => logger.info({ service }, `upstream circuit closed: ${service} answers again`));

  const remainingCooldownMs = () => Math.max(0, openedAt + cooldownMs - Date.now());

  return {
    async run<T>(call: () => Promise<T>): Promise<T> {
      let outcome: Outcome<T>;
      try {
        outcome = await policy.execute(async (): Promise<Outcome<T>> => {
          try {
            return { answered: await call() };
          } catch (error) {
            if (isAvailabilityFault(error)) throw error;
            return { rejected: error };
          }
        });
      } catch (error) {
        if (error instanceof BrokenCircuitError) throw circuitOpenError(service, remainingCooldownMs());
        throw error;
      }
      if ("rejected" in outcome) throw outcome.rejected;
      return outcome.answered;
    },
    health(): CircuitHealth {
      switch (policy.state) {
        case CircuitState.Closed:
          return { ok: true, circuit: "closed", detail: `circuit closed: ${service} answers` };
        case CircuitState.HalfOpen:
          return { ok: true, circuit: "half-open", detail: "circuit half-open: a probe call is in flight" };
        case CircuitState.Open:
        case CircuitState.Isolated:
          return {
            ok: false,
            circuit: "open",
            detail: `circuit open after ${threshold} consecutive availability faults; next probe in ${remainingCooldownMs()} ms`,
          };
      }
    },
  };
}

function circuitOpenError(service: string, remainingMs: number): GatewayError {
  return new GatewayError(
    "UPSTREAM_UNAVAILABLE",
    `${service} is failing; the gateway is not calling it until the cool-down ends. Retry later.`,
    { retryAfterSeconds: Math.max(1, Math.ceil(remainingMs / 1000)) },
  );
}

/** Validates options up front, with messages that restate the contract and show the bad value. */
export function getValidCircuitOptions(options: UpstreamCircuitOptions): UpstreamCircuitOptions {
  const { threshold, cooldownMs } = options;
  if (typeof threshold !== "number" || !Number.isInteger(threshold) || threshold < 1) {
    throw new TypeError(`createUpstream: options.circuitBreaker.threshold must be an integer >= 1 (got ${JSON.stringify(threshold)})`);
  }
  if (typeof cooldownMs !== "number" || !Number.isInteger(cooldownMs) || cooldownMs < 1) {
    throw new TypeError(`createUpstream: options.circuitBreaker.cooldownMs must be an integer >= 1 (got ${JSON.stringify(cooldownMs)})`);
  }
  return options;
}
