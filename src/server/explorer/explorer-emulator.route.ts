import { createHash, randomBytes } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { EXPLORER_EMULATOR_PATH } from "./explorer-page.js";
import { isLoopbackCaller } from "./loopback-caller.js";

/**
 * The explorer's test-credential routes, registered only when the gateway runs the embedded
 * emulator: they forward to its developer API (/_emulator/…), which the page cannot reach itself
 * (another port, and the page may load nothing but its own origin).
 *
 * POST /_explorer/emulator/assertion          {"sub"?} → {"assertion"}
 * POST /_explorer/emulator/authorization-code {"sub"?} → {"code", "codeVerifier", "redirectUri"}
 */

/** Registered for the emulator's default application (see the emulator's DEFAULT_REDIRECT_URIS). */
export const EXPLORER_REDIRECT_URI = "http://localhost:4000/callback";
const ASSERTION_LIFETIME_SECONDS = 3600;
const EMULATOR_TIMEOUT_MS = 5000;

const credentialRequest = z.object({ sub: z.string().min(1).max(128).default("alice") }).default({ sub: "alice" });

export interface ExplorerEmulatorRouteOptions {
  emulatorUrl: string;
  /** The application the authorization code is issued for (the gateway's default). */
  clientId: string;
  /** EXPLORER_EMULATOR_ACCESS: `loopback` serves only callers on this machine (loopback-caller.ts); `any` serves everyone. */
  access: "loopback" | "any";
}

export const LOOPBACK_ONLY_MESSAGE =
  "the explorer's test credentials are served only to callers on the gateway's own machine (EXPLORER_EMULATOR_ACCESS=loopback) that address it as localhost or by its address, and never through a proxy; open the explorer at http://localhost or set EXPLORER_EMULATOR_ACCESS=any";

export function registerExplorerEmulatorRoutes(app: FastifyInstance, options: ExplorerEmulatorRouteOptions): void {
  const callEmulator = async (path: string, body: object): Promise<Record<string, unknown>> => {
    const response = await fetch(new URL(path, options.emulatorUrl), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(EMULATOR_TIMEOUT_MS),
    });
    const payload = (await response.json()) as Record<string, unknown>;
    if (!response.ok) throw new Error(`emulator answered ${response.status}: ${String(payload.error_description ?? payload.error ?? "")}`);
    return payload;
  };

  const handle = (produce: (sub: string) => Promise<object>) => async (request: FastifyRequest, reply: FastifyReply) => {
    // These routes mint credentials the gateway then exchanges: only this machine may ask, unless configured otherwise.
    if (options.access === "loopback" && !isLoopbackCaller(request.raw)) {
      return reply.code(403).header("cache-control", "no-store").send({ error: LOOPBACK_ONLY_MESSAGE });
    }
    // JSON only: a cross-site form (text/plain, urlencoded) cannot trigger it without a CORS preflight.
    if (!request.headers["content-type"]?.startsWith("application/json")) {
      return reply.code(415).send({ error: "send a JSON body (content-type: application/json)" });
    }
    const parsed = credentialRequest.safeParse(request.body ?? undefined);
    if (!parsed.success) return reply.code(400).send({ error: "sub must be a string of 1 to 128 characters" });
    try {
      return reply.header("cache-control", "no-store").send(await produce(parsed.data.sub));
    } catch (error) {
      request.log.warn({ err: error }, "explorer: the embedded emulator did not issue a test credential");
      return reply.code(502).send({ error: "the embedded emulator did not answer; see the gateway log" });
    }
  };

  app.post(`${EXPLORER_EMULATOR_PATH}/assertion`, handle(async (sub) => {
    const { assertion } = await callEmulator("/_emulator/assertions", { sub, expiresInSeconds: ASSERTION_LIFETIME_SECONDS });
    return { assertion };
  }));

  app.post(`${EXPLORER_EMULATOR_PATH}/authorization-code`, handle(async (sub) => {
    const codeVerifier = randomBytes(32).toString("base64url");
    const codeChallenge = createHash("sha256").update(codeVerifier).digest("base64url");
    const { code } = await callEmulator("/_emulator/authorize", {
      clientId: options.clientId,
      redirectUri: EXPLORER_REDIRECT_URI,
      sub,
      codeChallenge,
      codeChallengeMethod: "S256",
    });
    return { code, codeVerifier, redirectUri: EXPLORER_REDIRECT_URI };
  }));
}
