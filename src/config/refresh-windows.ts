import { ConfigError } from "./config-error.js";

/**
 * Reuse detection remembers a refresh-token family REFRESH_FAMILY_TTL_SECONDS after its last refresh;
 * the grace window hands a rotated token's successor out for REFRESH_GRACE_SECONDS. A family forgotten
 * inside the window makes a rotated token whose successor was already used an unknown one, and the
 * grace window then serves it the successor's answer instead of refusing the reuse. Refused at start.
 */
export function refuseFamilyForgottenInGrace(settings: { graceSeconds: number; familyTtlSeconds: number; reuseDetection: boolean }): void {
  const { graceSeconds, familyTtlSeconds, reuseDetection } = settings;
  if (!reuseDetection || familyTtlSeconds >= graceSeconds) return;
  throw new ConfigError(
    "REFRESH_FAMILY_TTL_SECONDS",
    `REFRESH_FAMILY_TTL_SECONDS (${familyTtlSeconds}) must not be shorter than REFRESH_GRACE_SECONDS (${graceSeconds}): reuse detection would forget a token family while its grace window still serves it`,
  );
}
