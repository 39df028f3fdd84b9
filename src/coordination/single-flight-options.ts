import { assertPositiveInteger } from "../store/store-options.js";
import { silentStoreLogger, type StoreLogger } from "../store/store.types.js";
import type { SingleFlightOptions } from "./single-flight.types.js";

interface ValidSingleFlightOptions extends Required<Omit<SingleFlightOptions, "logger">> {
  logger: StoreLogger;
}

/** createSingleFlight's options with their defaults, checked: a misconfigured flight fails when it is made, not on its first call. */
export function getValidSingleFlightOptions(options: SingleFlightOptions): ValidSingleFlightOptions {
  if (typeof options?.store?.setIfAbsent !== "function") throw new TypeError("createSingleFlight: store must be a Store");
  if (typeof options.keyspace?.seal !== "function") throw new TypeError("createSingleFlight: keyspace must come from createKeyspace");
  const valid: ValidSingleFlightOptions = {
    store: options.store,
    keyspace: options.keyspace,
    lockTtlMs: options.lockTtlMs,
    maxLockHoldMs: options.maxLockHoldMs ?? 2 * options.lockTtlMs,
    waitTimeoutMs: options.waitTimeoutMs,
    resultTtlMs: options.resultTtlMs ?? 5_000,
    errorTtlMs: options.errorTtlMs ?? 1_000,
    pollIntervalMs: options.pollIntervalMs ?? 50,
    reuseFinishedResults: options.reuseFinishedResults ?? true,
    logger: options.logger ?? silentStoreLogger,
  };
  for (const name of ["lockTtlMs", "maxLockHoldMs", "waitTimeoutMs", "resultTtlMs", "errorTtlMs", "pollIntervalMs"] as const) {
    assertPositiveInteger(`createSingleFlight: ${name}`, valid[name]);
  }
  return valid;
}
