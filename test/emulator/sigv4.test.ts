/**
 * SigV4 on CreateTokenWithIAM: every tampering gets AWS's 403 answer for that case and never a
 * token. Each negative case has a positive twin built the same way, so a test cannot pass
 * because the request was broken in some other way.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreateTokenWithIAMCommand } from "@aws-sdk/client-sso-oidc";
import { rejectionOf, startTestEmulator, type TestEmulator } from "../support/emulator-harness.js";
import { expectAuthFailure } from "../support/emulator-expect.js";
import { rawRequest, signCreateTokenWithIAM, type RawResponse, type SignOptions } from "../support/emulator-http.js";
import { GRANT } from "../support/emulator-model.js";

let h: TestEmulator;

beforeAll(async () => {
  h = await startTestEmulator();
});
afterAll(async () => {
  await h?.stop();
});

async function validBody(): Promise<string> {
  const { assertion } = await h.dev.assertion({ sub: "alice" });
  return JSON.stringify({ clientId: h.defaultClientId, grantType: GRANT.jwtBearer, assertion });
}

async function sdkCall(overrides: Parameters<TestEmulator["client"]>[0]) {
  const { assertion } = await h.dev.assertion({ sub: "alice" });
  return h.client(overrides).send(new CreateTokenWithIAMCommand({ clientId: h.defaultClientId, grantType: GRANT.jwtBearer, assertion }));
}

/** Signs `body` (with options), then sends `sentBody` (default: the same) with `editHeaders` applied. */
async function signedRaw(
  options: Partial<SignOptions> & { sentBody?: string; editHeaders?: (headers: Record<string, string>) => void } = {},
): Promise<RawResponse> {
  const body = options.body ?? (await validBody());
  const { path, headers } = await signCreateTokenWithIAM({ baseUrl: h.url, region: h.region, credentials: h.credentials, ...options, body });
  options.editHeaders?.(headers);
  return rawRequest(h.url, { method: "POST", path, headers, body: options.sentBody ?? body });
}

function expectRawAuthFailure(response: RawResponse, name: string): void {
  expect(response.status, response.text).toBe(403);
  expect(String(response.headers["x-amzn-errortype"]).split(":")[0], response.text).toBe(name);
  expect(response.headers["x-amzn-requestid"]).toBeTruthy();
  expect(typeof (response.json as { message?: unknown })?.message, response.text).toBe("string");
  expect(response.text).not.toContain("accessToken");
}

describe("through the SDK", () => {
  it("issues tokens when the request is signed with the emulator's credentials and region", async () => {
    const out = await sdkCall({});
    expect(out.accessToken).toMatch(/^aoa/);
  });

  it("answers 403 InvalidSignatureException when the secret key is wrong", async () => {
    const e = expectAuthFailure(await rejectionOf(sdkCall({ credentials: { ...h.credentials, secretAccessKey: "not-the-secret" } })), "InvalidSignatureException");
    expect(e.accessToken).toBeUndefined();
  });

  it("answers 403 UnrecognizedClientException when the access key id is unknown", async () => {
    const credentials = { accessKeyId: "AKIAUNKNOWNUNKNOWN00", secretAccessKey: h.credentials.secretAccessKey };
    expectAuthFailure(await rejectionOf(sdkCall({ credentials })), "UnrecognizedClientException");
  });

  it("answers 403 InvalidSignatureException when the request is signed for another region", async () => {
    expectAuthFailure(await rejectionOf(sdkCall({ region: "eu-west-1" })), "InvalidSignatureException");
  });

  for (const [minutes, wording] of [[-20, /^Signature expired: /], [20, /^Signature not yet current: /]] as const) {
    it(`answers 403 InvalidSignatureException "${wording.source.slice(1, -2)}" when the signing clock is off by ${minutes} minutes`, async () => {
      const e = expectAuthFailure(await rejectionOf(sdkCall({ systemClockOffset: minutes * 60_000 })), "InvalidSignatureException");
      expect(e.message).toMatch(wording);
    });
  }

  it("accepts a signing clock off by 2 minutes, within the default skew of 300 s", async () => {
    const out = await sdkCall({ systemClockOffset: -2 * 60_000 });
    expect(out.accessToken).toMatch(/^aoa/);
  });
});

describe("maxClockSkewSeconds", () => {
  it("rejects a 2-minute clock skew when the emulator is configured for 60 s", async () => {
    const strict = await startTestEmulator({ config: { maxClockSkewSeconds: 60 } });
    try {
      const { assertion } = await strict.dev.assertion({ sub: "alice" });
      const command = new CreateTokenWithIAMCommand({ clientId: strict.defaultClientId, grantType: GRANT.jwtBearer, assertion });
      expectAuthFailure(await rejectionOf(strict.client({ systemClockOffset: -2 * 60_000 }).send(command)), "InvalidSignatureException");
      expect((await strict.client({ systemClockOffset: -30_000 }).send(command)).accessToken).toMatch(/^aoa/);
    } finally {
      await strict.stop();
    }
  });
});

describe("signed by hand with @smithy/signature-v4", () => {
  it("issues tokens for a correctly signed request, with and without x-amz-content-sha256", async () => {
    for (const contentSha256Header of [false, true]) {
      const response = await signedRaw({ contentSha256Header });
      expect(response.status, response.text).toBe(200);
      expect((response.json as { accessToken?: string }).accessToken).toMatch(/^aoa/);
    }
  });

  it("answers 403 InvalidSignatureException when the body is changed after signing", async () => {
    const body = await validBody();
    const other = JSON.stringify({ ...JSON.parse(body), scope: ["openid"] });
    expectRawAuthFailure(await signedRaw({ body, sentBody: other }), "InvalidSignatureException");
  });

  it("answers 403 InvalidSignatureException when x-amz-content-sha256 does not match the body sent", async () => {
    const body = await validBody();
    const other = JSON.stringify({ ...JSON.parse(body), scope: ["openid"] });
    expectRawAuthFailure(await signedRaw({ body, sentBody: other, contentSha256Header: true }), "InvalidSignatureException");
  });

  it("answers 403 InvalidSignatureException when x-amz-date is changed after signing", async () => {
    const response = await signedRaw({
      editHeaders: (headers) => {
        const date = new Date(Date.now() - 60_000).toISOString().replace(/[-:]|\.\d{3}/g, "");
        headers["x-amz-date"] = date;
      },
    });
    expectRawAuthFailure(response, "InvalidSignatureException");
  });

  it("answers 403 InvalidSignatureException when the credential scope names another service", async () => {
    expectRawAuthFailure(await signedRaw({ service: "sso" }), "InvalidSignatureException");
  });

  it("answers 403 InvalidSignatureException for a stale x-amz-date even when the signature matches it", async () => {
    expectRawAuthFailure(await signedRaw({ signingDate: new Date(Date.now() - 20 * 60_000) }), "InvalidSignatureException");
  });

  it("answers 403 MissingAuthenticationTokenException when there is no Authorization header", async () => {
    const response = await signedRaw({ editHeaders: (headers) => delete headers["authorization"] });
    expectRawAuthFailure(response, "MissingAuthenticationTokenException");
    const bare = await rawRequest(h.url, { method: "POST", path: "/token?aws_iam=t", headers: { "content-type": "application/json" }, body: await validBody() });
    expectRawAuthFailure(bare, "MissingAuthenticationTokenException");
  });

  it("answers 403 IncompleteSignatureException for a malformed Authorization header", async () => {
    const response = await signedRaw({ editHeaders: (headers) => (headers["authorization"] = "AWS4-HMAC-SHA256 garbage") });
    expectRawAuthFailure(response, "IncompleteSignatureException");
  });

  it("answers 403 when host is not among the signed headers", async () => {
    const response = await signedRaw({ unsignableHeaders: new Set(["host"]) });
    expect(response.status, response.text).toBe(403);
    // The emulator checks SignedHeaders before the signature itself, as AWS does.
    expect(String(response.headers["x-amzn-errortype"]).split(":")[0]).toBe("IncompleteSignatureException");
    expect(response.text).not.toContain("accessToken");
  });
});
