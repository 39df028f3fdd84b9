import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { GatewayError } from "../errors/error-codes.js";
import { callWithin } from "./bounded-call.js";
import { addCallOptionsMiddleware, withCallOptions } from "./call-options.js";
import { createHttpHandler } from "./http-handler.js";
import { describeCredentialProblem, GATEWAY_CREDENTIAL_EXCEPTIONS, type CredentialProblem } from "./map-upstream-error.js";
import { sdkClientConfig } from "./sdk-client-config.js";
import { stsOptionsOf } from "./sts-options.js";
import type { CreateUpstreamOptions } from "./upstream.types.js";

/** What STS GetCallerIdentity, signed with the gateway's credentials, says of them. */
export type CredentialVerification =
  | { outcome: "verified"; principalArn: string }
  | { outcome: "rejected"; problem: CredentialProblem }
  /** STS did not say (unreachable, slow, throttled, an answer that is not STS's): nothing learnt. */
  | { outcome: "inconclusive"; reason: string };

export interface CredentialVerifier {
  verify(): Promise<CredentialVerification>;
  destroy(): void;
}

/** One verification's whole time, retries included: it holds the start (and /readyz's recheck) at most this long. */
export const VERIFY_DEADLINE_MS = 5_000;

/** An expired session is also called this by STS (the STS model's exception for an ended identity context; no context is sent here). */
const REJECTIONS: ReadonlySet<string> = new Set([...GATEWAY_CREDENTIAL_EXCEPTIONS, "ExpiredTokenException"]);

/**
 * Asks STS who the gateway's credentials belong to (GetCallerIdentity: it needs no IAM permission,
 * consumes no Identity Center quota, and AWS checks the signature as for any call). A key that is
 * wrong, deleted, expired or signed with the wrong secret is refused here, so a replica knows before
 * its first exchange, and a replica taken out of rotation for it learns when its credentials work
 * again (it gets no exchanges to learn it from). It cannot tell whether the principal may call
 * sso-oauth:CreateTokenWithIAM: only an exchange shows that.
 *
 * `credentials` is the SSO OIDC client's resolved provider: the very credentials exchanges are signed
 * with. `endpoint` is STS's (STS_ENDPOINT's rule: the emulator serves both; AWS's regional STS otherwise).
 */
export function createCredentialVerifier(upstream: CreateUpstreamOptions, stsEndpoint: string | undefined, credentials: AwsCredentialIdentityProvider): CredentialVerifier {
  const valid = stsOptionsOf(upstream, stsEndpoint);
  const http = createHttpHandler({ timeoutMs: valid.timeoutMs, connectTimeoutMs: valid.connectTimeoutMs });
  const client: STSClient = new STSClient(sdkClientConfig(valid, http.handler, "sts", () => client.config.credentials, { replayable: true, credentials }));
  addCallOptionsMiddleware(client.middlewareStack);
  const deadline = new GatewayError("UPSTREAM_UNAVAILABLE", `STS did not answer within ${VERIFY_DEADLINE_MS} ms`);
  return {
    async verify() {
      try {
        const output = await callWithin(
          { replayable: true, attemptTimeoutMs: Math.min(valid.timeoutMs, VERIFY_DEADLINE_MS), totalMs: VERIFY_DEADLINE_MS, expired: () => deadline },
          (call) => client.send(new GetCallerIdentityCommand(withCallOptions({}, call))),
        );
        if (typeof output.Arn !== "string") return { outcome: "inconclusive", reason: "STS answered GetCallerIdentity without an Arn" };
        return { outcome: "verified", principalArn: output.Arn };
      } catch (error) {
        return classify(error);
      }
    },
    destroy() {
      client.destroy();
      http.destroy();
    },
  };
}

function classify(error: unknown): CredentialVerification {
  if (error === null || typeof error !== "object") return { outcome: "inconclusive", reason: typeof error };
  const { name, $metadata } = error as { name?: unknown; $metadata?: { httpStatusCode?: number } };
  const status = $metadata?.httpStatusCode;
  // Only STS naming the credentials' fault: any other 403 (a proxy or WAF in front of STS_ENDPOINT, a
  // VPC endpoint policy, RegionDisabledException) says nothing of them, and taken as a rejection it
  // kept the replica out of rotation for good (an attacker review). A credentials provider failing
  // (nothing was sent) is the health's "missing", found by resolving the chain.
  if ($metadata !== undefined && typeof name === "string" && REJECTIONS.has(name)) {
    return { outcome: "rejected", problem: describeCredentialProblem(error) };
  }
  const what = typeof name === "string" ? name : "Error";
  return { outcome: "inconclusive", reason: status === undefined ? what : `${what}, HTTP ${status}` };
}
