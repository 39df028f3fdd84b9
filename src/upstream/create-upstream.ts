import { CreateTokenWithIAMCommand, SSOOIDCClient, type CreateTokenWithIAMCommandOutput } from "@aws-sdk/client-sso-oidc";
import { GatewayError, type ErrorCode } from "../errors/error-codes.js";
import { callWithin, settlesWithin, type CallBounds } from "./bounded-call.js";
import { addCallOptionsMiddleware, withCallOptions } from "./call-options.js";
import { createUpstreamCircuit, getValidCircuitOptions } from "./circuit-breaker.js";
import { createCredentialHealth, type CredentialHealth } from "./credential-health.js";
import type { createCredentialVerifier, CredentialVerifier } from "./credential-verifier.js";
import { createHttpHandler } from "./http-handler.js";
import { describeCredentialProblem, mapUpstreamError, SSO_OIDC_EXCEPTION_CODES } from "./map-upstream-error.js";
import { sdkClientConfig } from "./sdk-client-config.js";
import {
  DEFAULT_CIRCUIT_BREAKER, DEFAULT_UPSTREAM_DEADLINE_MS, singleUseAnswerTimeoutMs, type CreateUpstreamOptions, type GatewayUpstream, type UpstreamHealth,
  type UpstreamTokenRequest, type UpstreamTokenResponse,
} from "./upstream.types.js";

/** SSO OIDC's SigV4 signing name (the service model's `aws.auth#sigv4` name; not the endpoint prefix "oidc"). */
const SIGV4_SERVICE_NAME = "sso-oauth";

/** Grants AWS consumes on first use: a second send may find them spent (and a refresh token rotated). */
const SINGLE_USE_GRANTS: ReadonlySet<UpstreamTokenRequest["grantType"]> = new Set(["authorization_code", "refresh_token"]);

/** Codes that mean AWS verified the gateway's signature and processed the request (a rejected grant included). */
const PROCESSED_BY_AWS: ReadonlySet<ErrorCode> = new Set(
  Object.values(SSO_OIDC_EXCEPTION_CODES).filter((code) => code !== "UPSTREAM_SERVER_ERROR" && code !== "SLOW_DOWN"),
);

/**
 * The gateway's one SSO OIDC client. Every CreateTokenWithIAM goes through here: signed with the
 * gateway's credentials, over pooled keep-alive connections, behind a circuit breaker that fails
 * fast while Identity Center is down (circuit-breaker.ts), and bounded in time:
 *
 * - A replayable call (JWT bearer, token exchange) is cut at `timeoutMs` per attempt, retried for
 *   retryable faults (the SDK's standard strategy: full-jitter exponential backoff), and the whole
 *   call, back-offs included, ends at `deadlineMs` (UPSTREAM_UNAVAILABLE, in-flight request aborted).
 * - A single-use grant (authorization code, refresh token) is sent once (retried only after
 *   throttling, see replay-guard.ts) and waits for AWS's answer up to `singleUseAnswerTimeoutMs`:
 *   cutting it short would lose tokens AWS already issued. The tokens layer answers its own caller
 *   at the deadline and keeps the late answer. For the circuit breaker, such a call that has not
 *   answered within `timeoutMs` counts as a timeout at that moment, like any other call.
 */
export function createUpstream(options: CreateUpstreamOptions): GatewayUpstream {
  const valid = getValidUpstreamOptions(options);
  const deadlineMs = valid.deadlineMs ?? DEFAULT_UPSTREAM_DEADLINE_MS;
  const singleUseMs = valid.singleUseAnswerTimeoutMs ?? singleUseAnswerTimeoutMs({ upstreamDeadlineMs: deadlineMs });
  const http = createHttpHandler({ timeoutMs: valid.timeoutMs, connectTimeoutMs: valid.connectTimeoutMs });
  const client: SSOOIDCClient = new SSOOIDCClient(sdkClientConfig(valid, http.handler, SIGV4_SERVICE_NAME, () => client.config.credentials, { replayable: true }));
  // Single-use grants have a client of their own, whose retry strategy replays only after throttling
  // (replay-guard.ts); same HTTP handler and the same credentials provider (one refresh of role credentials for both).
  const singleUseClient: SSOOIDCClient = new SSOOIDCClient(sdkClientConfig(
    valid, http.handler, SIGV4_SERVICE_NAME, () => singleUseClient.config.credentials, { replayable: false, credentials: client.config.credentials },
  ));
  for (const each of [client, singleUseClient]) addCallOptionsMiddleware(each.middlewareStack);
  const logger = valid.logger;
  const circuit = createUpstreamCircuit({ ...(valid.circuitBreaker ?? DEFAULT_CIRCUIT_BREAKER), logger });
  const verifier = valid.verifyCredentials === undefined ? undefined : lazyVerifier(valid, valid.verifyCredentials.stsEndpoint, client.config.credentials);
  const credentials = createCredentialHealth(logger, valid.credentials === undefined ? "default chain" : "static", () => client.config.credentials(), verifier?.verify);

  const replayable: CallBounds = {
    replayable: true, attemptTimeoutMs: valid.timeoutMs, totalMs: deadlineMs,
    expired: () => new GatewayError("UPSTREAM_UNAVAILABLE", `Identity Center did not answer within the gateway's deadline (${deadlineMs} ms, retries included). Retry later.`),
  };
  const singleUse: CallBounds = {
    replayable: false, attemptTimeoutMs: singleUseMs, totalMs: singleUseMs,
    expired: () => new GatewayError("UPSTREAM_UNAVAILABLE", `Identity Center did not answer within ${singleUseMs} ms.`),
  };

  /** One CreateTokenWithIAM within `bounds`, retries included; rejects with a GatewayError only. */
  const call = async (request: UpstreamTokenRequest, bounds: CallBounds): Promise<UpstreamTokenResponse> => {
    try {
      const output = await callWithin(bounds, (options) => (bounds.replayable && !SINGLE_USE_GRANTS.has(request.grantType) ? client : singleUseClient).send(new CreateTokenWithIAMCommand(withCallOptions({ ...request }, options))));
      credentials.accepted();
      logger.debug({ grantType: request.grantType, awsRequestId: output.$metadata.requestId, attempts: output.$metadata.attempts }, "CreateTokenWithIAM succeeded");
      return toUpstreamResponse(output);
    } catch (err) {
      const error = mapUpstreamError(err);
      noteCredentials(credentials, error, err);
      logFailure(logger, request, error, err);
      throw error;
    }
  };

  /** A single-use grant: the breaker hears of it at `timeoutMs` at the latest; the call itself waits on. */
  const callSingleUse = async (request: UpstreamTokenRequest): Promise<UpstreamTokenResponse> => {
    let answer: Promise<UpstreamTokenResponse> | undefined;
    const slow = new GatewayError("UPSTREAM_UNAVAILABLE", `Identity Center has not answered within ${valid.timeoutMs} ms.`);
    try {
      return await circuit.run(() => settlesWithin((answer = call(request, singleUse)), valid.timeoutMs, () => slow));
    } catch (error) {
      if (error !== slow || answer === undefined) throw error;
      logger.info({ grantType: request.grantType, timeoutMs: valid.timeoutMs, singleUseAnswerTimeoutMs: singleUseMs }, "CreateTokenWithIAM of a single-use grant is slow: still waiting for AWS's answer (never replayed)");
      return answer;
    }
  };

  /** The deadline counts from here: time spent waiting for a half-open circuit's probe is part of it. */
  const callReplayable = (request: UpstreamTokenRequest): Promise<UpstreamTokenResponse> => {
    const startedAt = Date.now();
    return circuit.run(() => call(request, { ...replayable, totalMs: Math.max(1, deadlineMs - (Date.now() - startedAt)) }));
  };

  const health = (): UpstreamHealth => {
    const breaker = circuit.health();
    const own = credentials.health();
    if (own.ok) return { ...breaker, credentials: "ok" };
    return { ok: false, circuit: breaker.circuit, credentials: own.credentials, detail: breaker.ok ? own.detail : `${own.detail}; ${breaker.detail}` };
  };

  return {
    createTokenWithIAM: (request) => (SINGLE_USE_GRANTS.has(request.grantType) ? callSingleUse(request) : callReplayable(request)),
    health,
    async checkCredentials() {
      await credentials.check();
      return health();
    },
    destroy() {
      client.destroy();
      singleUseClient.destroy();
      http.destroy();
      verifier?.destroy();
    },
  };
}

/** The STS client is loaded at the first verification: a gateway that never verifies (embedded emulator) never holds it. */
function lazyVerifier(...args: Parameters<typeof createCredentialVerifier>): CredentialVerifier {
  let made: Promise<CredentialVerifier> | undefined;
  let destroyed = false;
  return {
    async verify() {
      // After destroy (shutdown): no client made for it. One made meanwhile is destroyed by destroy's chain below.
      if (destroyed) return { outcome: "inconclusive", reason: "the upstream was destroyed" };
      try {
        made ??= import("./credential-verifier.js").then((module) => module.createCredentialVerifier(...args));
        return await (await made).verify();
      } catch (error) {
        return { outcome: "inconclusive", reason: error instanceof Error ? error.name : typeof error };
      }
    },
    destroy() {
      destroyed = true;
      void made?.then((verifier) => verifier.destroy(), () => undefined);
    },
  };
}

function noteCredentials(credentials: CredentialHealth, error: GatewayError, raw: unknown): void {
  if (error.code === "GATEWAY_CREDENTIALS_INVALID") credentials.failed(describeCredentialProblem(raw), error.details.awsRequestId);
  else if (PROCESSED_BY_AWS.has(error.code)) credentials.accepted();
}

function logFailure(logger: CreateUpstreamOptions["logger"], request: UpstreamTokenRequest, error: GatewayError, raw: unknown): void {
  const attempts = (raw as { $metadata?: { attempts?: number } } | null)?.$metadata?.attempts;
  const awsException = error.details.awsException ?? (raw instanceof Error ? raw.name : typeof raw);
  switch (error.code) {
    case "GATEWAY_CREDENTIALS_INVALID":
      // Logged at error once per cause by credential-health.ts; per request only at debug.
      logger.debug({ code: error.code, grantType: request.grantType, awsRequestId: error.details.awsRequestId }, "CreateTokenWithIAM not made: the gateway's AWS credentials are missing or rejected");
      return;
    case "INTERNAL_SERVER_ERROR":
      // AWS could not read the gateway's request (SerializationException …) or the gateway failed before sending it. Name and id only.
      logger.error(
        { awsException, awsRequestId: error.details.awsRequestId },
        (raw as { $metadata?: unknown } | null)?.$metadata === undefined ? "CreateTokenWithIAM failed inside the gateway" : "CreateTokenWithIAM refused the gateway's own request",
      );
      return;
    case "UPSTREAM_UNAVAILABLE":
    case "UPSTREAM_SERVER_ERROR":
      logger.warn({ code: error.code, grantType: request.grantType, awsException, awsRequestId: error.details.awsRequestId, attempts }, "CreateTokenWithIAM failed upstream");
      return;
    default:
      logger.debug({ code: error.code, grantType: request.grantType, awsException, awsRequestId: error.details.awsRequestId }, "CreateTokenWithIAM rejected the grant");
  }
}

function toUpstreamResponse(output: CreateTokenWithIAMCommandOutput): UpstreamTokenResponse {
  const response: UpstreamTokenResponse = {};
  if (output.accessToken !== undefined) response.accessToken = output.accessToken;
  if (output.tokenType !== undefined) response.tokenType = output.tokenType;
  if (output.expiresIn !== undefined) response.expiresIn = output.expiresIn;
  if (output.refreshToken !== undefined) response.refreshToken = output.refreshToken;
  if (output.idToken !== undefined) response.idToken = output.idToken;
  if (output.issuedTokenType !== undefined) response.issuedTokenType = output.issuedTokenType;
  if (output.scope !== undefined) response.scope = [...output.scope];
  if (output.awsAdditionalDetails !== undefined) {
    response.awsAdditionalDetails = output.awsAdditionalDetails.identityContext === undefined ? {} : { identityContext: output.awsAdditionalDetails.identityContext };
  }
  if (output.$metadata.requestId !== undefined) response.requestId = output.$metadata.requestId;
  return response;
}

/** Validates options up front, with messages that restate the contract and show the bad value. */
export function getValidUpstreamOptions(options: CreateUpstreamOptions): CreateUpstreamOptions {
  const positiveInteger = (name: keyof CreateUpstreamOptions, value: unknown, min: number) => {
    if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
      throw new TypeError(`createUpstream: options.${name} must be an integer >= ${min} (got ${JSON.stringify(value)})`);
    }
  };
  if (typeof options.region !== "string" || options.region === "") {
    throw new TypeError(`createUpstream: options.region must be a non-empty AWS region name (got ${JSON.stringify(options.region)})`);
  }
  if (options.endpoint !== undefined && !/^https?:\/\/[^\s]+$/.test(options.endpoint)) {
    throw new TypeError(`createUpstream: options.endpoint must be an http:// or https:// URL when given (got ${JSON.stringify(options.endpoint)})`);
  }
  if (options.credentials !== undefined && (!options.credentials.accessKeyId || !options.credentials.secretAccessKey)) {
    // Never echo credentials.
    throw new TypeError("createUpstream: options.credentials must have a non-empty accessKeyId and secretAccessKey when given");
  }
  positiveInteger("timeoutMs", options.timeoutMs, 1);
  if (options.deadlineMs !== undefined) positiveInteger("deadlineMs", options.deadlineMs, 1);
  if (options.singleUseAnswerTimeoutMs !== undefined) positiveInteger("singleUseAnswerTimeoutMs", options.singleUseAnswerTimeoutMs, 1);
  positiveInteger("connectTimeoutMs", options.connectTimeoutMs, 1);
  positiveInteger("maxAttempts", options.maxAttempts, 1);
  if (options.circuitBreaker !== undefined) getValidCircuitOptions({ ...options.circuitBreaker, logger: options.logger });
  if (typeof options.logger?.error !== "function") throw new TypeError("createUpstream: options.logger must be a pino logger");
  return options;
}
