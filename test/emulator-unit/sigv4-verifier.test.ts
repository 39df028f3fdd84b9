import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { describe, expect, it } from "vitest";
import { SigV4Verifier, type SignedRequest } from "../../src/emulator/http/sigv4-verifier.js";

const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret-key-example" };
const verifier = new SigV4Verifier({ region: "us-east-1", service: "sso-oauth", ...credentials, maxClockSkewSeconds: 300 });
const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const BODY = JSON.stringify({ clientId: "app", grantType: "refresh_token" });

async function signed(overrides: { region?: string; service?: string; secret?: string; at?: number; body?: string } = {}): Promise<SignedRequest> {
  const signer = new SignatureV4({
    credentials: { ...credentials, secretAccessKey: overrides.secret ?? credentials.secretAccessKey },
    region: overrides.region ?? "us-east-1",
    service: overrides.service ?? "sso-oauth",
    sha256: Hash.bind(null, "sha256"),
  });
  const request = new HttpRequest({
    method: "POST",
    protocol: "http:",
    hostname: "127.0.0.1",
    port: 4001,
    path: "/token",
    query: { aws_iam: "t" },
    headers: { host: "127.0.0.1:4001", "content-type": "application/json", "amz-sdk-request": "attempt=1; max=3" },
    body: BODY,
  });
  const out = (await signer.sign(request, { signingDate: new Date(overrides.at ?? NOW) })) as HttpRequest;
  const headers = Object.fromEntries(Object.entries(out.headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { method: "POST", rawPath: "/token", rawQuery: "aws_iam=t", headers, body: Buffer.from(overrides.body ?? BODY) };
}

function rejection(request: SignedRequest): { errorType: string; status: number; message: unknown } | "accepted" {
  try {
    verifier.verify(request, NOW);
    return "accepted";
  } catch (error) {
    const wire = error as { errorType: string; status: number; body: { message: unknown } };
    return { errorType: wire.errorType, status: wire.status, message: wire.body.message };
  }
}

describe("SigV4 verification", () => {
  it("accepts a request signed by @smithy/signature-v4 with the expected credentials", async () => {
    expect(rejection(await signed())).toBe("accepted");
  });

  it("accepts a request signed four minutes ago and rejects one signed six minutes ago as expired", async () => {
    expect(rejection(await signed({ at: NOW - 240_000 }))).toBe("accepted");
    expect(rejection(await signed({ at: NOW - 360_000 }))).toMatchObject({ errorType: "InvalidSignatureException", status: 403, message: expect.stringMatching(/^Signature expired/) });
  });

  it("rejects a wrong secret, region or service with InvalidSignatureException", async () => {
    for (const overrides of [{ secret: "other" }, { region: "eu-west-1" }, { service: "sso" }]) {
      expect(rejection(await signed(overrides))).toMatchObject({ errorType: "InvalidSignatureException", status: 403 });
    }
  });

  it("rejects a body changed after signing", async () => {
    const request = await signed();
    expect(rejection({ ...request, body: Buffer.from(BODY.replace("app", "ppa")) })).toMatchObject({ errorType: "InvalidSignatureException" });
    const { ["x-amz-content-sha256"]: _, ...withoutHash } = request.headers;
    expect(rejection({ ...request, headers: withoutHash, body: Buffer.from(BODY.replace("app", "ppa")) })).toMatchObject({ errorType: "InvalidSignatureException" });
  });

  it("rejects a tampered signed header but ignores unsigned ones", async () => {
    const request = await signed();
    expect(rejection({ ...request, headers: { ...request.headers, "user-agent": "changed" } })).toBe("accepted");
    expect(rejection({ ...request, headers: { ...request.headers, "content-type": "text/plain" } })).toMatchObject({ errorType: "InvalidSignatureException" });
  });

  it("answers missing, malformed and unknown-key authorization with the matching error type", async () => {
    const request = await signed();
    const auth = request.headers.authorization as string;
    expect(rejection({ ...request, headers: { ...request.headers, authorization: undefined } })).toMatchObject({ errorType: "MissingAuthenticationTokenException" });
    expect(rejection({ ...request, headers: { ...request.headers, authorization: "AWS4-HMAC-SHA256 garbage" } })).toMatchObject({ errorType: "IncompleteSignatureException" });
    expect(rejection({ ...request, headers: { ...request.headers, authorization: auth.replace("AKIDEXAMPLE", "AKIDOTHER") } })).toMatchObject({ errorType: "UnrecognizedClientException" });
  });
});

describe("SigV4 query-string authentication (presigned URLs)", () => {
  const stsVerifier = new SigV4Verifier({ region: "us-east-1", service: "sts", ...credentials, maxClockSkewSeconds: 300 });

  /** A GET presigned by @smithy/signature-v4 as the SDKs presign query-protocol calls. */
  async function presigned(expiresIn: number, extra: { header?: boolean } = {}): Promise<SignedRequest> {
    const signer = new SignatureV4({ credentials, region: "us-east-1", service: "sts", sha256: Hash.bind(null, "sha256") });
    const headers: Record<string, string> = { host: "127.0.0.1:4001", ...(extra.header ? { "x-k8s-aws-id": "demo" } : {}) };
    const request = new HttpRequest({
      method: "GET",
      protocol: "http:",
      hostname: "127.0.0.1",
      port: 4001,
      path: "/",
      query: { Action: "GetCallerIdentity", Version: "2011-06-15" },
      headers,
    });
    const out = (await signer.presign(request, { signingDate: new Date(NOW), expiresIn })) as HttpRequest;
    const rawQuery = Object.entries(out.query)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
      .join("&");
    return { method: "GET", rawPath: "/", rawQuery, headers, body: Buffer.alloc(0) };
  }

  function outcome(request: SignedRequest, now: number): string {
    try {
      return stsVerifier.verify(request, now);
    } catch (error) {
      const wire = error as { errorType: string; body: { message: string } };
      return `${wire.errorType}: ${wire.body.message}`;
    }
  }

  it("accepts a presigned request until X-Amz-Expires has passed, then answers Signature expired", async () => {
    const request = await presigned(900);
    expect(outcome(request, NOW + 899_000)).toBe("AKIDEXAMPLE");
    expect(outcome(request, NOW + 901_000)).toMatch(/^InvalidSignatureException: Signature expired: 20261126T120000Z is now earlier than 20261126T120001Z/);
  });

  it("refuses a presigned request with a tampered query, or without a header it signed", async () => {
    const request = await presigned(60, { header: true });
    expect(outcome(request, NOW)).toBe("AKIDEXAMPLE");
    expect(outcome({ ...request, rawQuery: request.rawQuery.replace("GetCallerIdentity", "AssumeRole") }, NOW)).toMatch(/^InvalidSignatureException: The request signature we calculated/);
    expect(outcome({ ...request, headers: { host: "127.0.0.1:4001" } }, NOW)).toMatch(/^InvalidSignatureException/);
  });

  it("refuses a presigned request missing its credential, or with an out-of-range X-Amz-Expires, as IncompleteSignature", async () => {
    const request = await presigned(60);
    expect(outcome({ ...request, rawQuery: request.rawQuery.replace(/X-Amz-Credential=[^&]*&?/, "") }, NOW)).toMatch(/^IncompleteSignatureException/);
    expect(outcome({ ...request, rawQuery: request.rawQuery.replace(/X-Amz-Expires=\d+/, "X-Amz-Expires=604801") }, NOW)).toMatch(/^IncompleteSignatureException/);
  });
});
