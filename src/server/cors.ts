import cors from "@fastify/cors";
import type { FastifyInstance } from "fastify";
import type { CorsConfig } from "../config/config.types.js";

/** http://localhost:<port> and http://127.0.0.1:<port>: where a developer's frontend runs. */
const LOCALHOST_ORIGIN = /^http:\/\/(localhost|127\.0\.0\.1)(:\d{1,5})?$/;
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/** True for an origin CORS_ORIGINS (or the development localhost allowance) lets call the gateway. */
export function isAllowedOrigin(origin: string, config: CorsConfig): boolean {
  return config.origins.includes(origin) || (config.allowLocalhost && LOCALHOST_ORIGIN.test(origin));
}

/**
 * Cross-origin access for browsers on other origins (Apollo Studio's explorer, a frontend's dev
 * server). An allowlist, never a reflection of any origin. Credentials (the session cookie) only in
 * session mode: otherwise the gateway authenticates nothing by cookie, so a page gets no more than it
 * could by itself. Unlisted origins get no Access-Control-Allow-Origin, so the browser withholds the answer.
 */
/** Whether registerCors answers cross-origin requests (and their preflights) at all. */
export function corsServed(config: CorsConfig): boolean {
  return config.origins.length > 0 || config.allowLocalhost;
}

export async function registerCors(app: FastifyInstance, config: CorsConfig, options: { credentials: boolean } = { credentials: false }): Promise<void> {
  const allowed: (string | RegExp)[] = [...config.origins, ...(config.allowLocalhost ? [LOCALHOST_ORIGIN] : [])];
  if (!corsServed(config)) return;
  await app.register(cors, {
    origin: allowed,
    credentials: options.credentials,
    methods: ["GET", "POST"],
    maxAge: PREFLIGHT_MAX_AGE_SECONDS,
  });
}
