import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { HttpHandlerOptions } from "@smithy/types";
import { currentCallPolicy } from "./call-policy.js";

export interface HttpHandlerOptionsInput {
  /** Per-attempt timeout when a call states none in its policy, ms. */
  timeoutMs: number;
  connectTimeoutMs: number;
}

/** Sockets kept open per host: enough for bursts of token exchanges without opening a socket each. */
const MAX_SOCKETS = 50;

/**
 * NodeHttpHandler that takes each attempt's `requestTimeout` and `abortSignal` from the call's
 * policy (call-policy.ts): one handler serves replayable calls (cut at UPSTREAM_TIMEOUT_MS, aborted
 * at the deadline) and single-use grants (left to wait for AWS's answer).
 */
class PolicyHttpHandler extends NodeHttpHandler {
  override handle(request: Parameters<NodeHttpHandler["handle"]>[0], options: HttpHandlerOptions = {}): ReturnType<NodeHttpHandler["handle"]> {
    const policy = currentCallPolicy();
    return super.handle(request, policy === undefined ? options : { ...options, abortSignal: policy.signal, requestTimeout: policy.attemptTimeoutMs });
  }
}

/**
 * The one HTTP handler of the SSO OIDC client: keep-alive agents (a TLS handshake per token
 * exchange would dominate latency) and timeouts that throw. Without `throwOnRequestTimeout` the
 * handler only warns when `requestTimeout` passes and the call hangs on.
 */
export function createHttpHandler(options: HttpHandlerOptionsInput): { handler: NodeHttpHandler; destroy(): void } {
  const agentOptions = { keepAlive: true, maxSockets: MAX_SOCKETS };
  const httpAgent = new HttpAgent(agentOptions);
  const httpsAgent = new HttpsAgent(agentOptions);
  const handler = new PolicyHttpHandler({
    httpAgent,
    httpsAgent,
    requestTimeout: options.timeoutMs,
    connectionTimeout: options.connectTimeoutMs,
    throwOnRequestTimeout: true,
  });
  return {
    handler,
    destroy() {
      handler.destroy();
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
