/**
 * Every error STS answers, as the AWS Query protocol carries it: an HTTP status and an XML
 * `<ErrorResponse><Error><Type>Sender|Receiver</Type><Code>…</Code><Message>…</Message></Error>`.
 * Codes of the model's exceptions (botocore's `sts/2011-06-15` model) keep the model's status;
 * the front door's (SigV4, routing) use the codes query-protocol services answer with.
 */
import { WireError, type ProtocolErrorType } from "../http/wire-errors.js";

/** Error code → [HTTP status, fault type]. */
export const STS_ERRORS = {
  // AssumeRole's model exceptions.
  ExpiredTokenException: [400, "Sender"],
  MalformedPolicyDocument: [400, "Sender"],
  PackedPolicyTooLarge: [400, "Sender"],
  RegionDisabledException: [403, "Sender"],
  // Errors every query-protocol service answers.
  ValidationError: [400, "Sender"],
  AccessDenied: [403, "Sender"],
  InvalidParameterValue: [400, "Sender"],
  InvalidAction: [400, "Sender"],
  Throttling: [400, "Sender"],
  InternalFailure: [500, "Receiver"],
  ServiceUnavailable: [503, "Receiver"],
  // The front door: SigV4, parsing, size.
  MissingAuthenticationToken: [403, "Sender"],
  IncompleteSignature: [400, "Sender"],
  InvalidClientTokenId: [403, "Sender"],
  SignatureDoesNotMatch: [403, "Sender"],
  ExpiredToken: [403, "Sender"],
  MalformedQueryString: [400, "Sender"],
  RequestEntityTooLarge: [413, "Sender"],
} as const satisfies Record<string, readonly [number, "Sender" | "Receiver"]>;

export type StsErrorCode = keyof typeof STS_ERRORS;

/** What `POST /_emulator/faults` may inject into AssumeRole / GetCallerIdentity. */
export const STS_FAULT_CODES = [
  "ExpiredTokenException",
  "MalformedPolicyDocument",
  "PackedPolicyTooLarge",
  "RegionDisabledException",
  "AccessDenied",
  "Throttling",
  "InternalFailure",
  "ServiceUnavailable",
] as const satisfies readonly StsErrorCode[];

export type StsFaultCode = (typeof STS_FAULT_CODES)[number];

export function isStsFaultCode(name: string): name is StsFaultCode {
  return (STS_FAULT_CODES as readonly string[]).includes(name);
}

/** An STS error answer, thrown by handlers and written once by the STS pipeline. */
export class StsError extends Error {
  readonly status: number;
  readonly type: "Sender" | "Receiver";

  constructor(
    readonly code: StsErrorCode,
    readonly description: string,
  ) {
    super(`${code}: ${description}`);
    this.name = "StsError";
    [this.status, this.type] = STS_ERRORS[code];
  }
}

export const stsError = (code: StsErrorCode, message: string): StsError => new StsError(code, message);

/** The violations one ValidationError lists at most (Violations.throwIfAny); it counts them all. */
const MAX_LISTED_VIOLATIONS = 100;

/**
 * The members that break their constraints, collected the way AWS's validator reports them: every
 * violation of the request, not only the first, in one ValidationError
 * ("2 validation errors detected: Value 'a' at 'roleSessionName' failed to satisfy constraint: …; Value …").
 * A secret member (a context assertion) is never echoed: its value is left out, as AWS does for
 * sensitive members.
 */
export class Violations {
  private readonly found: string[] = [];

  add(member: string, value: string | undefined, constraint: string, secret = false): void {
    const shown = secret ? "" : value === undefined ? " null" : ` '${value.slice(0, 100)}'`;
    this.found.push(`Value${shown} at '${member}' failed to satisfy constraint: ${constraint}`);
  }

  /**
   * Throws the ValidationError that names the violations found so far, if there is one: all of them counted, the
   * first MAX_LISTED_VIOLATIONS listed. A list the model leaves unbounded (PolicyArns) made a 46 KB request of 1,500
   * one-character ARNs answer 491 KB (a review); whether AWS lists that many is not documented.
   */
  throwIfAny(): void {
    if (this.found.length === 0) return;
    const count = this.found.length === 1 ? "1 validation error" : `${this.found.length} validation errors`;
    throw stsError("ValidationError", `${count} detected: ${this.found.slice(0, MAX_LISTED_VIOLATIONS).join("; ")}`);
  }
}

const FRONT_DOOR_CODES: Record<ProtocolErrorType, StsErrorCode> = {
  MissingAuthenticationTokenException: "MissingAuthenticationToken",
  IncompleteSignatureException: "IncompleteSignature",
  UnrecognizedClientException: "InvalidClientTokenId",
  InvalidSignatureException: "SignatureDoesNotMatch",
  ExpiredTokenException: "ExpiredToken",
  SerializationException: "MalformedQueryString",
  UnknownOperationException: "InvalidAction",
  RequestEntityTooLargeException: "RequestEntityTooLarge",
};

/** Where STS words a front-door refusal its own way (as observed from sts.amazonaws.com). */
const STS_WORDING: Partial<Record<StsErrorCode, string>> = {
  MissingAuthenticationToken: "Request is missing Authentication Token",
  InvalidClientTokenId: "The security token included in the request is invalid",
};

/** The shared SigV4 verifier and body reader throw REST-JSON protocol errors: say them the query way. */
export function fromProtocolError(error: WireError): StsError {
  const code = FRONT_DOOR_CODES[error.errorType as ProtocolErrorType] ?? "InternalFailure";
  const message = STS_WORDING[code] ?? (typeof error.body.message === "string" ? error.body.message : "An internal error occurred.");
  return stsError(code, message);
}
