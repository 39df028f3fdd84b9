/**
 * Verifies AWS Signature Version 4 on an incoming request, the way AWS's front door does, and
 * throws the WireError AWS would answer with. The canonical request is rebuilt from exactly the
 * headers listed in SignedHeaders (the SDK may add unsigned ones), at the request's own x-amz-date.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { protocolError } from "./wire-errors.js";

const ALGORITHM = "AWS4-HMAC-SHA256";

/** Credentials an earlier AssumeRole handed out: valid with their session token, until they expire. */
export interface TemporaryCredentials {
  secretAccessKey: string;
  sessionToken: string;
  /** Epoch ms. */
  expiresAt: number;
}

export interface SigV4Expectations {
  region: string;
  service: string;
  /** The long-term IAM credentials the emulator accepts. */
  accessKeyId: string;
  secretAccessKey: string;
  maxClockSkewSeconds: number;
  /** Looks up temporary (`ASIA…`) credentials by access key id; none when absent. */
  temporaryCredentials?: (accessKeyId: string) => TemporaryCredentials | undefined;
}

export interface SignedRequest {
  method: string;
  /** The path exactly as it came on the wire, without the query string. */
  rawPath: string;
  rawQuery: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

interface ParsedAuthorization {
  accessKeyId: string;
  scopeDate: string;
  scopeRegion: string;
  scopeService: string;
  scopeTerminator: string;
  signedHeaders: string[];
  signature: string;
}

function incomplete(message: string): Error {
  return protocolError("IncompleteSignatureException", message);
}

function invalidSignature(message: string): Error {
  return protocolError("InvalidSignatureException", message);
}

export function parseAuthorizationHeader(header: string): ParsedAuthorization {
  const space = header.indexOf(" ");
  const algorithm = space < 0 ? header : header.slice(0, space);
  if (algorithm !== ALGORITHM) {
    throw incomplete(`Unsupported authorization algorithm ${JSON.stringify(algorithm.slice(0, 40))}; expected ${ALGORITHM}.`);
  }
  const parts = new Map<string, string>();
  for (const part of header.slice(space + 1).split(",")) {
    const eq = part.indexOf("=");
    if (eq > 0) parts.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = parts.get("Credential");
  const signedHeaders = parts.get("SignedHeaders");
  const signature = parts.get("Signature");
  if (!credential || !signedHeaders || !signature) {
    throw incomplete("Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.");
  }
  const scope = credential.split("/");
  if (scope.length !== 5 || scope.some((piece) => piece === "")) {
    throw incomplete("Credential must have the form <access key id>/<date>/<region>/<service>/aws4_request.");
  }
  const [accessKeyId, scopeDate, scopeRegion, scopeService, scopeTerminator] = scope as [string, string, string, string, string];
  if (!/^[0-9a-f]{64}$/.test(signature)) throw incomplete("Signature must be 64 lowercase hexadecimal characters.");
  return {
    accessKeyId,
    scopeDate,
    scopeRegion,
    scopeService,
    scopeTerminator,
    signedHeaders: signedHeaders.split(";"),
    signature,
  };
}

/** `20261126T142247Z` → epoch milliseconds, or undefined when malformed. */
export function parseAmzDate(value: string): number | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  return Number.isNaN(ms) ? undefined : ms;
}

/** RFC 3986 encoding as SigV4 wants it (encodeURIComponent also leaves !'()* alone). */
function escapeUri(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Same normalisation as @smithy/signature-v4 (non-S3 services double-encode the path). */
function canonicalPath(rawPath: string): string {
  const segments: string[] = [];
  for (const segment of rawPath.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") segments.pop();
    else segments.push(segment);
  }
  const trailing = segments.length > 0 && rawPath.endsWith("/") ? "/" : "";
  const normalized = `${rawPath.startsWith("/") ? "/" : ""}${segments.join("/")}${trailing}`;
  return escapeUri(normalized).replace(/%2F/g, "/");
}

function canonicalQuery(rawQuery: string): string {
  const pairs: [string, string][] = [];
  for (const [key, value] of new URLSearchParams(rawQuery)) {
    if (key.toLowerCase() === "x-amz-signature") continue;
    pairs.push([escapeUri(key), escapeUri(value)]);
  }
  pairs.sort(([ka, va], [kb, vb]) => (ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join("&");
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  return (Array.isArray(value) ? value.join(",") : value).trim().replace(/\s+/g, " ");
}

const sha256Hex = (data: string | Buffer): string => createHash("sha256").update(data).digest("hex");
const hmac = (key: Buffer | string, data: string): Buffer => createHmac("sha256", key).update(data).digest();

export class SigV4Verifier {
  /** Signing keys depend only on the date: caching them keeps the hot path at two HMACs. */
  private readonly signingKeys = new Map<string, Buffer>();

  constructor(private readonly expected: SigV4Expectations) {}

  /** Throws the error AWS would answer with; returns the access key id that signed the request. */
  verify(request: SignedRequest, now = Date.now()): string {
    const authorization = request.headers.authorization;
    const query = new URLSearchParams(request.rawQuery);
    if ((authorization === undefined || authorization.trim() === "") && query.has("X-Amz-Algorithm")) {
      return this.verifyPresigned(request, query, now);
    }
    if (authorization === undefined || authorization.trim() === "") {
      throw protocolError("MissingAuthenticationTokenException", "Missing Authentication Token");
    }
    const auth = parseAuthorizationHeader(authorization.trim());
    const secretAccessKey = this.secretFor(auth.accessKeyId, headerValue(request.headers, "x-amz-security-token"), now);
    if (!auth.signedHeaders.includes("host") || !auth.signedHeaders.includes("x-amz-date")) {
      throw incomplete("SignedHeaders must include 'host' and 'x-amz-date'.");
    }
    const amzDate = headerValue(request.headers, "x-amz-date");
    const signedAt = amzDate === undefined ? undefined : parseAmzDate(amzDate);
    if (amzDate === undefined || signedAt === undefined) {
      throw incomplete("Authorization header requires existence of a valid 'X-Amz-Date' header (yyyyMMddTHHmmssZ).");
    }
    this.checkScope(auth, amzDate);
    this.checkClockSkew(amzDate, signedAt, now);
    return this.checkSignature(request, auth, amzDate, secretAccessKey);
  }

  /**
   * Query-string authentication (a presigned URL, e.g. botocore's `generate_presigned_url` or
   * `aws eks get-token`'s GetCallerIdentity): the same signature over the query without
   * `X-Amz-Signature`, the date and session token in the query, valid for `X-Amz-Expires` seconds.
   */
  private verifyPresigned(request: SignedRequest, query: URLSearchParams, now: number): string {
    const algorithm = query.get("X-Amz-Algorithm") ?? "";
    const credential = query.get("X-Amz-Credential");
    const signedHeaders = query.get("X-Amz-SignedHeaders");
    const signature = query.get("X-Amz-Signature");
    const amzDate = query.get("X-Amz-Date");
    const expires = query.get("X-Amz-Expires");
    if (!credential || !signedHeaders || !signature || !amzDate) {
      throw incomplete("AWS query-string parameters must include 'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-SignedHeaders', 'X-Amz-Date'.");
    }
    const auth = parseAuthorizationHeader(`${algorithm} Credential=${credential}, SignedHeaders=${signedHeaders}, Signature=${signature}`);
    const secretAccessKey = this.secretFor(auth.accessKeyId, query.get("X-Amz-Security-Token") ?? undefined, now);
    if (!auth.signedHeaders.includes("host")) throw incomplete("X-Amz-SignedHeaders must include 'host'.");
    const signedAt = parseAmzDate(amzDate);
    if (signedAt === undefined) throw incomplete("X-Amz-Date must be a valid date (yyyyMMddTHHmmssZ).");
    const expiresSeconds = expires === null ? undefined : /^\d{1,6}$/.test(expires) ? Number(expires) : NaN;
    if (expiresSeconds !== undefined && !(expiresSeconds >= 1 && expiresSeconds <= 604_800)) {
      throw incomplete("X-Amz-Expires must be a whole number of seconds from 1 to 604800.");
    }
    this.checkScope(auth, amzDate);
    this.checkClockSkew(amzDate, signedAt, now, expiresSeconds);
    return this.checkSignature(request, auth, amzDate, secretAccessKey);
  }

  private checkSignature(request: SignedRequest, auth: ParsedAuthorization, amzDate: string, secretAccessKey: string): string {
    const payloadHash = sha256Hex(request.body);
    const claimedHash = headerValue(request.headers, "x-amz-content-sha256");
    if (claimedHash !== undefined && claimedHash !== payloadHash) {
      throw invalidSignature("The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
    const expected = this.computeSignature(request, auth, amzDate, payloadHash, secretAccessKey);
    const given = Buffer.from(auth.signature, "hex");
    if (!timingSafeEqual(expected, given)) {
      throw invalidSignature(
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
      );
    }
    return auth.accessKeyId;
  }

  /**
   * The secret of a known access key id. Temporary credentials also need their session token in
   * `x-amz-security-token` (as AWS checks it) and must not have expired.
   */
  private secretFor(accessKeyId: string, given: string | undefined, now: number): string {
    if (accessKeyId === this.expected.accessKeyId) return this.expected.secretAccessKey;
    const temporary = this.expected.temporaryCredentials?.(accessKeyId);
    if (temporary === undefined || given === undefined || !sameText(given, temporary.sessionToken)) {
      throw protocolError("UnrecognizedClientException", "The security token included in the request is invalid.");
    }
    if (temporary.expiresAt <= now) throw protocolError("ExpiredTokenException", "The security token included in the request is expired");
    return temporary.secretAccessKey;
  }

  /**
   * AWS's wording, in the x-amz-date format: "Signature expired: <request> is now earlier than
   * <server - skew> (<server> - 5 min.)" and "Signature not yet current: <request> is still later
   * than <server + skew> (<server> + 5 min.)".
   */
  private checkClockSkew(amzDate: string, signedAt: number, now: number, presignedForSeconds?: number): void {
    const skewMs = this.expected.maxClockSkewSeconds * 1000;
    const skew = describeSkew(this.expected.maxClockSkewSeconds);
    if (presignedForSeconds !== undefined) {
      // A presigned request lasts X-Amz-Expires from its date instead of the skew allowance.
      const windowMs = presignedForSeconds * 1000;
      if (signedAt < now - windowMs) {
        throw invalidSignature(`Signature expired: ${amzDate} is now earlier than ${formatAmzDate(now - windowMs)} (${formatAmzDate(now)} - ${describeSkew(presignedForSeconds)}.)`);
      }
    } else if (signedAt < now - skewMs) {
      throw invalidSignature(`Signature expired: ${amzDate} is now earlier than ${formatAmzDate(now - skewMs)} (${formatAmzDate(now)} - ${skew}.)`);
    }
    if (signedAt > now + skewMs) {
      throw invalidSignature(`Signature not yet current: ${amzDate} is still later than ${formatAmzDate(now + skewMs)} (${formatAmzDate(now)} + ${skew}.)`);
    }
  }

  private checkScope(auth: ParsedAuthorization, amzDate: string): void {
    const { region, service } = this.expected;
    if (auth.scopeDate !== amzDate.slice(0, 8)) {
      throw invalidSignature(`Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.scopeDate}' != '${amzDate.slice(0, 8)}'`);
    }
    if (auth.scopeRegion !== region) {
      throw invalidSignature(`Credential should be scoped to a valid region, not '${auth.scopeRegion}'. Expected '${region}'.`);
    }
    if (auth.scopeService !== service) {
      throw invalidSignature(`Credential should be scoped to correct service: '${service}'.`);
    }
    if (auth.scopeTerminator !== "aws4_request") {
      throw invalidSignature("Credential should be scoped with a valid terminator: 'aws4_request'.");
    }
  }

  private computeSignature(request: SignedRequest, auth: ParsedAuthorization, amzDate: string, payloadHash: string, secretAccessKey: string): Buffer {
    const canonicalHeaders: string[] = [];
    for (const name of auth.signedHeaders) {
      const value = headerValue(request.headers, name);
      if (value === undefined) {
        throw invalidSignature(`Signed header '${name}' is missing from the request.`);
      }
      canonicalHeaders.push(`${name}:${value}\n`);
    }
    const canonicalRequest = [
      request.method,
      canonicalPath(request.rawPath),
      canonicalQuery(request.rawQuery),
      canonicalHeaders.join(""),
      auth.signedHeaders.join(";"),
      payloadHash,
    ].join("\n");
    const scope = `${auth.scopeDate}/${auth.scopeRegion}/${auth.scopeService}/aws4_request`;
    const stringToSign = [ALGORITHM, amzDate, scope, sha256Hex(canonicalRequest)].join("\n");
    return hmac(this.signingKey(auth.accessKeyId, secretAccessKey, auth.scopeDate), stringToSign);
  }

  private signingKey(accessKeyId: string, secretAccessKey: string, date: string): Buffer {
    const cacheKey = `${accessKeyId}/${date}`;
    let key = this.signingKeys.get(cacheKey);
    if (key === undefined) {
      const { region, service } = this.expected;
      key = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, date), region), service), "aws4_request");
      if (this.signingKeys.size > 64) this.signingKeys.clear();
      this.signingKeys.set(cacheKey, key);
    }
    return key;
  }
}

/** Constant-time comparison of two strings (session tokens are secrets). */
function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** "5 min" for AWS's 300 s; a configured skew that is not whole minutes reads "90 sec". */
function describeSkew(seconds: number): string {
  return seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} sec`;
}

function formatAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}
