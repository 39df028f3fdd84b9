/**
 * The emulator's node:http server: dispatches to the SSO OIDC operations, STS, the sign-in pages or
 * the developer API, never lets an exception escape the request listener, and tracks sockets so
 * stop() is immediate.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { EmulatorContext } from "../emulator-context.js";
import { devApiError, handleDevApi } from "../devapi/dev-api.js";
import { readBody, RequestAbortedError } from "./body-reader.js";
import { type JsonObject } from "./json-input.js";
import { routeOperation, runOperation } from "./operations.js";
import { hostCannotBeRebound } from "./rebinding.js";
import { isStsRequest, runStsOperation } from "../sts/sts-operations.js";
import { handleSigninPage, isSigninPath } from "../signin/signin-routes.js";
import { sendJson, sendWireError } from "./respond.js";
import { oidcError, protocolError, WireError } from "./wire-errors.js";

const DEV_API_PREFIX = "/_emulator/";

/** The developer API is lenient about content type (curl -d sends form encoding) but not JSON. */
async function readDevApiJson(req: IncomingMessage): Promise<JsonObject> {
  const body = await readBody(req);
  if (body.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(body.toString("utf8"));
  } catch {
    throw devApiError("body: not valid JSON");
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw devApiError("body: must be a JSON object");
  return value as JsonObject;
}

/**
 * Browsers say which page started a request (`Origin`, `Sec-Fetch-Site`); programs send neither.
 * The developer API takes plain-text bodies (curl -d), so any page the developer visits could reach
 * it without a CORS preflight: blind, but enough to inject faults or reset every token and session
 * (an attacker review broke the developer's gateway from another origin's page with one no-cors
 * POST /_emulator/faults). A browser request is served only from the emulator's own origin or
 * typed into the address bar; its own origin only when addressed by a name DNS cannot rebind (rebinding.ts).
 */
function otherSitesRequest(req: IncomingMessage): string | undefined {
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${req.headers.host ?? ""}`) return `a page on ${origin.slice(0, 100)} may not call it`;
  if (origin !== undefined && !hostCannotBeRebound(req.headers.host)) {
    return `a page may call it only at localhost or an IP address, not at ${origin.slice(0, 100)} (whose name could point anywhere: DNS rebinding)`;
  }
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin" && site !== "none") return "a page on another origin may not call it";
  return undefined;
}

async function handleRequest(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? "/";
  const queryStart = url.indexOf("?");
  const rawPath = queryStart < 0 ? url : url.slice(0, queryStart);
  const rawQuery = queryStart < 0 ? "" : url.slice(queryStart + 1);
  const method = req.method ?? "GET";
  if (isStsRequest(method, rawPath, req.headers, rawQuery)) return runStsOperation(ctx, req, res, rawPath, rawQuery);
  const operation = routeOperation(method, rawPath, new URLSearchParams(rawQuery));
  if (operation !== undefined) return runOperation(ctx, operation, req, res, rawPath, rawQuery);
  if (isSigninPath(rawPath)) return handleSigninPage(ctx, req, res, rawPath, rawQuery);
  if (rawPath.startsWith(DEV_API_PREFIX)) {
    const refusal = otherSitesRequest(req);
    if (refusal !== undefined) {
      req.resume();
      return sendWireError(res, devApiError(`${refusal}: the developer API answers programs (curl, tests, the gateway), never another page's scripts`, 403));
    }
    try {
      const answer = await handleDevApi(ctx, method, rawPath, () => readDevApiJson(req));
      if (answer !== undefined) return sendJson(res, answer.status, answer.body);
    } catch (error) {
      if (error instanceof WireError) return sendWireError(res, error);
      throw error;
    }
  }
  req.resume();
  sendWireError(res, protocolError("UnknownOperationException", `No operation matches ${method} ${rawPath.slice(0, 200)}.`));
}

export interface EmulatorServer {
  server: Server;
  /** Closes the listener and every open socket; resolves when closed. */
  close(): Promise<void>;
}

export function createEmulatorServer(ctx: EmulatorContext): EmulatorServer {
  const sockets = new Set<Socket>();
  const server = createServer({ keepAliveTimeout: 5_000 }, (req, res) => {
    handleRequest(ctx, req, res).catch((error: unknown) => {
      if (error instanceof RequestAbortedError) return;
      console.error(`[emulator] request failed unexpectedly: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      sendWireError(res, oidcError("InternalServerException", "An internal error occurred in the emulator."));
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  // Malformed HTTP (bad request line, oversized headers): answer 400 and drop, never crash.
  server.on("clientError", (_error, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
    else socket.destroy();
  });
  return {
    server,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
      }),
  };
}
