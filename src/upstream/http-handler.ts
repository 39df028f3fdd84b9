import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { NodeHttpHandler, type NodeHttpHandlerOptions } from "@smithy/node-http-handler";
import type { HttpHandler } from "@smithy/protocol-http";
import { withCallOptionsHandler } from "./call-options.js";

export interface HttpHandlerOptionsInput {
  /** Per-attempt timeout when a call states none (its own `requestTimeout`, call-options.ts), ms. */
  timeoutMs: number;
  connectTimeoutMs: number;
}

/** Sockets kept open per host: enough for bursts of token exchanges without opening a socket each. */
const MAX_SOCKETS = 50;

/**
 * The HTTP handler an upstream's SDK clients share (SSO OIDC's two, STS's one): keep-alive agents (a TLS handshake per token
 * exchange would dominate latency) and timeouts that throw. Without `throwOnRequestTimeout` the
 * handler only warns when `requestTimeout` passes and the call hangs on. Each call's own
 * `requestTimeout` and `abortSignal` reach it by its request (call-options.ts).
 */
export function createHttpHandler(options: HttpHandlerOptionsInput): { handler: HttpHandler<NodeHttpHandlerOptions>; destroy(): void } {
  const agentOptions = { keepAlive: true, maxSockets: MAX_SOCKETS };
  const httpAgent = new HttpAgent(agentOptions);
  const httpsAgent = new HttpsAgent(agentOptions);
  const node = new NodeHttpHandler({
    httpAgent,
    httpsAgent,
    requestTimeout: options.timeoutMs,
    connectionTimeout: options.connectTimeoutMs,
    throwOnRequestTimeout: true,
  });
  return {
    handler: withCallOptionsHandler(node),
    destroy() {
      node.destroy();
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
