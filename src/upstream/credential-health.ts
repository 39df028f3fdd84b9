import type { Logger } from "../logging/logger.js";
import type { CredentialVerification } from "./credential-verifier.js";
import { describeCredentialProblem, type CredentialProblem } from "./map-upstream-error.js";

export type CredentialState = "ok" | "missing" | "rejected";

/** While credentials are missing, /readyz probes resolve the chain again at most this often (env, files, metadata; never Identity Center). */
const MISSING_RECHECK_MS = 5_000;

/** While AWS refuses them, /readyz probes verify the credentials again (STS GetCallerIdentity) at most this often. */
export const REJECTED_RECHECK_MS = 30_000;

/**
 * The state of the gateway's own AWS credentials, as resolving them and the calls made with them
 * reveal it. A problem (none found, or AWS refusing them) makes /readyz not ready with its reason,
 * and is logged at `error` once per cause, not once per request: every exchange fails the same way
 * until an operator acts. It clears when a later call is processed by AWS (an answer, or a rejected
 * grant: AWS checked the signature first).
 *
 * A replica taken out of rotation by its readiness probe gets no calls to learn from, so the probe
 * itself checks again: missing credentials by resolving the chain (at most every 5 s), rejected ones,
 * when a `verify` is given (credential-verifier.ts), by asking STS who they belong to (at most every
 * 30 s; never Identity Center). Before that, a replica whose temporary credentials had expired once
 * stayed out of rotation after the SDK had renewed them, until restarted. At start (`check`) the
 * same verification runs, so a wrong or expired key keeps a new replica out of rotation before its
 * first exchange rather than after (a rolling deploy with a bad key stalls instead of replacing
 * every working replica). STS cannot say whether the principal may call CreateTokenWithIAM: a
 * replica refused for that (access-denied) is let back when its credentials verify, and the next
 * exchange tells again.
 */
export interface CredentialHealth {
  failed(problem: CredentialProblem, awsRequestId?: string): void;
  /** AWS processed a signed call: the credentials work. */
  accepted(): void;
  /** Resolves the credential chain now, then verifies the credentials when it can; a failure becomes the state. Never rejects. */
  check(): Promise<void>;
  health(): { ok: boolean; credentials: CredentialState; detail: string };
}

export function createCredentialHealth(
  logger: Logger, source: "static" | "default chain", resolve: () => Promise<unknown>, verify?: () => Promise<CredentialVerification>,
): CredentialHealth {
  let problem: CredentialProblem | undefined;
  let lastCheck = 0;
  let checking: Promise<void> | undefined;
  /** The last verification's outcome logged (verified, or why not): each is logged when it changes, not on every recheck. */
  let lastReported = "";

  const failed = (next: CredentialProblem, awsRequestId?: string) => {
    if (problem?.cause === next.cause) return;
    problem = next;
    const fields = { cause: next.cause, reason: next.reason, credentialSource: source, ...(awsRequestId === undefined ? {} : { awsRequestId }) };
    if (next.cause === "missing") {
      logger.error(fields, "the gateway has no AWS credentials: exchanges answer GATEWAY_CREDENTIALS_INVALID and /readyz is not ready until they are provided");
    } else {
      logger.error(fields, "AWS rejected the gateway's own AWS credentials: exchanges answer GATEWAY_CREDENTIALS_INVALID and /readyz is not ready until an operator fixes them");
    }
  };
  const clear = (message: string, fields: Record<string, unknown> = {}) => {
    if (problem === undefined) return;
    logger.info({ previousCause: problem.cause, ...fields }, message);
    problem = undefined;
  };
  const verifyNow = async (verifyCredentials: () => Promise<CredentialVerification>) => {
    // Only the problem this verification was asked about may be cleared by it: a call refused meanwhile stands.
    const askedAbout = problem;
    const verification = await verifyCredentials();
    if (verification.outcome === "rejected") {
      failed(verification.problem);
    } else if (verification.outcome === "verified") {
      if (askedAbout !== undefined && problem === askedAbout) {
        clear("the gateway's AWS credentials work again (STS GetCallerIdentity)", { principalArn: verification.principalArn });
      } else if (lastReported !== `verified ${verification.principalArn}`) {
        logger.info({ principalArn: verification.principalArn, credentialSource: source }, "the gateway's AWS credentials are verified (STS GetCallerIdentity)");
      }
      lastReported = `verified ${verification.principalArn}`;
    } else if (lastReported !== verification.reason) {
      lastReported = verification.reason;
      logger.warn(
        { reason: verification.reason, credentialSource: source },
        "could not verify the gateway's AWS credentials with STS GetCallerIdentity: taken as working until AWS refuses them (set STS_ENDPOINT if STS is reachable elsewhere)",
      );
    }
  };
  const check = () =>
    (checking ??= (async () => {
      lastCheck = Date.now();
      try {
        await resolve();
        if (problem?.cause === "missing") clear("the gateway's AWS credentials were found");
        if (verify !== undefined) await verifyNow(verify);
      } catch (error) {
        failed(describeCredentialProblem(error));
      } finally {
        checking = undefined;
      }
    })());

  return {
    failed,
    accepted: () => clear("the gateway's AWS credentials work again"),
    check,
    health() {
      if (problem === undefined) return { ok: true, credentials: "ok", detail: "" };
      const missing = problem.cause === "missing";
      if ((missing || verify !== undefined) && Date.now() - lastCheck >= (missing ? MISSING_RECHECK_MS : REJECTED_RECHECK_MS)) void check();
      return { ok: false, credentials: missing ? "missing" : "rejected", detail: `gateway AWS credentials: ${problem.reason}` };
    },
  };
}
