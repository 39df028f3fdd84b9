import { AssumeRoleCommand, STSClient, type AssumeRoleCommandOutput } from "@aws-sdk/client-sts";
import { GatewayError, type ErrorCode } from "../errors/error-codes.js";
import { addCallOptionsMiddleware, withCallOptions } from "./call-options.js";
import { callWithin, type CallBounds } from "./bounded-call.js";
import { createUpstreamCircuit } from "./circuit-breaker.js";
import { getValidUpstreamOptions } from "./create-upstream.js";
import { createHttpHandler } from "./http-handler.js";
import { mapUpstreamError } from "./map-upstream-error.js";
import { sdkClientConfig } from "./sdk-client-config.js";
import {
  DEFAULT_CIRCUIT_BREAKER, DEFAULT_UPSTREAM_DEADLINE_MS, type CreateUpstreamOptions, type StsUpstream, type UpstreamAssumeRoleRequest, type UpstreamRoleCredentials,
} from "./upstream.types.js";

/** STS's SigV4 signing name. */
const SIGV4_SERVICE_NAME = "sts";

/** STS refusals an operator must fix, whoever the caller: logged at warn once per role and cause. */
const OPERATOR_PROBLEMS: ReadonlySet<ErrorCode> = new Set(["ACCESS_DENIED", "GATEWAY_CREDENTIALS_INVALID", "INVALID_REQUEST_REGION"]);
const MAX_PROBLEMS_REMEMBERED = 256;

/** The context provider of an Identity Center identity context (AWS's trusted identity propagation docs). */
export const IDENTITY_CENTER_CONTEXT_PROVIDER_ARN = "arn:aws:iam::aws:contextProvider/IdentityCenter";

/**
 * The gateway's one STS client, for identity-enhanced role sessions: `AssumeRole` with the
 * Identity Center context in `ProvidedContexts`, signed with the gateway's own credentials. Bounded
 * like a replayable CreateTokenWithIAM (AssumeRole consumes nothing, so a retry is safe): cut at
 * `timeoutMs` per attempt, retried for retryable faults with the SDK's backoff (never after a throttle:
 * STS's quota is the account's, replay-guard.ts), ended at `deadlineMs`,
 * behind a circuit breaker of its own, so STS trouble never fails token exchanges fast.
 */
export function createStsUpstream(options: CreateUpstreamOptions): StsUpstream {
  const valid = getValidUpstreamOptions(options);
  const deadlineMs = valid.deadlineMs ?? DEFAULT_UPSTREAM_DEADLINE_MS;
  const http = createHttpHandler({ timeoutMs: valid.timeoutMs, connectTimeoutMs: valid.connectTimeoutMs });
  const client: STSClient = new STSClient(sdkClientConfig(valid, http.handler, SIGV4_SERVICE_NAME, () => client.config.credentials, { replayable: true, retryThrottling: false }));
  addCallOptionsMiddleware(client.middlewareStack);
  const logger = valid.logger;
  const operatorProblemsSeen = new Set<string>();
  const circuit = createUpstreamCircuit({ ...(valid.circuitBreaker ?? DEFAULT_CIRCUIT_BREAKER), logger, service: "STS" });
  const bounds = (totalMs: number): CallBounds => ({
    replayable: true, attemptTimeoutMs: valid.timeoutMs, totalMs,
    expired: () => new GatewayError("UPSTREAM_UNAVAILABLE", `STS did not answer within the gateway's deadline (${deadlineMs} ms, retries included). Retry later.`),
  });

  const call = async (request: UpstreamAssumeRoleRequest, totalMs: number): Promise<UpstreamRoleCredentials> => {
    try {
      const output = await callWithin(bounds(totalMs), (options) => client.send(new AssumeRoleCommand(withCallOptions({
        RoleArn: request.roleArn,
        RoleSessionName: request.roleSessionName,
        DurationSeconds: request.durationSeconds,
        ProvidedContexts: [{ ProviderArn: IDENTITY_CENTER_CONTEXT_PROVIDER_ARN, ContextAssertion: request.identityContext }],
      }, options))));
      logger.debug({ roleArn: request.roleArn, awsRequestId: output.$metadata.requestId, attempts: output.$metadata.attempts }, "AssumeRole succeeded");
      return toRoleCredentials(output);
    } catch (err) {
      const error = mapUpstreamError(err, "sts");
      const awsException = error.details.awsException ?? (err instanceof Error ? err.name : typeof err);
      const fields = { code: error.code, roleArn: request.roleArn, awsException, awsRequestId: error.details.awsRequestId };
      if (OPERATOR_PROBLEMS.has(error.code)) {
        // No caller can fix these (a trust policy, the gateway's IAM policy or credentials, STS's region): once per role and cause.
        const cause = `${request.roleArn} ${error.code}`;
        if (!operatorProblemsSeen.has(cause) && operatorProblemsSeen.size < MAX_PROBLEMS_REMEMBERED) {
          operatorProblemsSeen.add(cause);
          logger.warn(fields, "AssumeRole refused for a configured role: its trust policy must allow the gateway sts:AssumeRole and sts:SetContext, and the gateway's IAM policy sts:AssumeRole on it (logged once per role and cause)");
        } else {
          logger.debug(fields, "AssumeRole refused for a configured role");
        }
      } else if (error.code === "INTERNAL_SERVER_ERROR" || error.code === "UPSTREAM_UNAVAILABLE" || error.code === "UPSTREAM_SERVER_ERROR") {
        logger.warn(fields, "AssumeRole failed: STS did not process it");
      } else {
        logger.debug(fields, "AssumeRole refused");
      }
      throw error;
    }
  };

  return {
    assumeRoleWithIdentityContext(request) {
      // The deadline counts from here: time spent waiting for a half-open circuit's probe is part of it.
      const startedAt = Date.now();
      return circuit.run(() => call(request, Math.max(1, deadlineMs - (Date.now() - startedAt))));
    },
    health: () => circuit.health(),
    destroy() {
      client.destroy();
      http.destroy();
    },
  };
}

/** STS's answer as plain data; an answer without credentials is STS breaking its own contract. */
function toRoleCredentials(output: AssumeRoleCommandOutput): UpstreamRoleCredentials {
  const credentials = output.Credentials;
  const expiration = credentials?.Expiration?.getTime();
  if (!credentials?.AccessKeyId || !credentials.SecretAccessKey || !credentials.SessionToken || expiration === undefined || Number.isNaN(expiration)) {
    throw new GatewayError("UPSTREAM_SERVER_ERROR", "STS answered AssumeRole without complete credentials.");
  }
  return {
    accessKeyId: credentials.AccessKeyId,
    secretAccessKey: credentials.SecretAccessKey,
    sessionToken: credentials.SessionToken,
    expiration,
    assumedRoleArn: output.AssumedRoleUser?.Arn ?? "",
    ...(output.$metadata.requestId === undefined ? {} : { requestId: output.$metadata.requestId }),
  };
}
