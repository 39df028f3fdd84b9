import { ConfigError } from "./config-error.js";

/** Origins browsers count as secure over plain HTTP (the README's development case). */
const LOOPBACK_HTTP_ORIGIN = /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;

/**
 * In production session mode, CORS_ORIGINS are answered with the session cookie (credentials) and
 * pass the session's Origin check: a plain-HTTP origin there is a page anyone on its network path can
 * rewrite, and its script would then act with the user's session. Refused at start (loopback excepted).
 */
export function refusePlainHttpSessionOrigins(origins: readonly string[], nodeEnv: string, sessionMode: "off" | "cookie"): void {
  if (nodeEnv !== "production" || sessionMode !== "cookie") return;
  const plain = origins.find((origin) => origin.startsWith("http://") && !LOOPBACK_HTTP_ORIGIN.test(origin));
  if (plain === undefined) return;
  throw new ConfigError(
    "CORS_ORIGINS",
    `CORS_ORIGINS must list only https:// origins when NODE_ENV=production and SESSION_MODE=cookie (got ${JSON.stringify(plain)}): a plain-HTTP page would act with the user's session cookie`,
  );
}
