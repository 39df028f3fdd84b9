import type { Logger } from "../logging/logger.js";
import { describeCredentialProblem, type CredentialProblem } from "./map-upstream-error.js";

export type CredentialState = "ok" | "missing" | "rejected";

/** While credentials are missing, /readyz probes resolve the chain again at most this often (env, files, metadata; never Identity Center). */
const MISSING_RECHECK_MS = 5_000;

/**
 * The state of the gateway's own AWS credentials, as resolving them and the calls made with them
 * reveal it. A problem (none found, or AWS refusing them) makes /readyz not ready with its reason,
 * and is logged at `error` once per cause, not once per request: every exchange fails the same way
 * until an operator acts. It clears when a later call is processed by AWS (an answer, or a rejected
 * grant: AWS checked the signature first). Missing credentials also clear when the chain finds some:
 * a replica taken out of rotation by its readiness probe gets no calls to learn it from, so the
 * probe itself re-resolves the chain (never calling Identity Center).
 */
export interface CredentialHealth {
  failed(problem: CredentialProblem, awsRequestId?: string): void;
  /** AWS processed a signed call: the credentials work. */
  accepted(): void;
  /** Resolves the credential chain now; a failure becomes the state. Never rejects. */
  check(): Promise<void>;
  health(): { ok: boolean; credentials: CredentialState; detail: string };
}

export function createCredentialHealth(logger: Logger, source: "static" | "default chain", resolve: () => Promise<unknown>): CredentialHealth {
  let problem: CredentialProblem | undefined;
  let lastCheck = 0;
  let checking: Promise<void> | undefined;

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
  const clear = (message: string) => {
    if (problem === undefined) return;
    logger.info({ previousCause: problem.cause }, message);
    problem = undefined;
  };
  const check = () =>
    (checking ??= (async () => {
      lastCheck = Date.now();
      try {
        await resolve();
        if (problem?.cause === "missing") clear("the gateway's AWS credentials were found");
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
      if (problem.cause === "missing" && Date.now() - lastCheck >= MISSING_RECHECK_MS) void check();
      return { ok: false, credentials: problem.cause === "missing" ? "missing" : "rejected", detail: `gateway AWS credentials: ${problem.reason}` };
    },
  };
}
