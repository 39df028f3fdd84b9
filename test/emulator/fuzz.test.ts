/**
 * Robustness: hundreds of malformed raw HTTP requests. Every answer must be an AWS-shaped 4xx
 * (never a 5xx, never a hang, never a crash), and the emulator must serve the SDK normally after.
 */
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { startTestEmulator, type TestEmulator } from "../support/emulator-harness.js";
import { viaJwtBearer } from "../support/emulator-flows.js";
import { rawRequest, signCreateTokenWithIAM, type RawResponse } from "../support/emulator-http.js";
import { GRANT, OPERATION_ERRORS, TOKEN_TYPE } from "../support/emulator-model.js";

let h: TestEmulator;
beforeAll(async () => {
  h = await startTestEmulator();
});
afterAll(async () => {
  await h?.stop();
});

/**
 * An AWS-shaped client error: 4xx and, in SSO OIDC's REST-JSON protocol, `x-amzn-errortype` and a JSON
 * object body with `message` or `error`; a form-encoded `POST /` is STS's Query protocol (the emulator
 * serves both on one port), whose errors are XML: `<ErrorResponse><Error><Type><Code><Message>` and a
 * `RequestId`.
 */
function expectAwsShaped4xx(response: RawResponse, context: string): void {
  const where = `${context} -> ${response.status} ${response.text.slice(0, 300)}`;
  expect(response.status, where).toBeGreaterThanOrEqual(400);
  expect(response.status, where).toBeLessThan(500);
  if (response.text.startsWith("<ErrorResponse")) {
    expect(response.text, where).toMatch(/<Error>\s*<Type>Sender<\/Type>\s*<Code>\w+<\/Code>\s*<Message>[^<]*<\/Message>\s*<\/Error>\s*<RequestId>[\w-]+<\/RequestId>/);
    expect(response.text, where).not.toContain("SecretAccessKey");
    return;
  }
  expect(response.headers["x-amzn-errortype"], where).toBeTruthy();
  expect(typeof response.json === "object" && response.json !== null, where).toBe(true);
  const body = response.json as Record<string, unknown>;
  expect(typeof body.message === "string" || typeof body.error === "string", where).toBe(true);
  expect(response.text, where).not.toContain("accessToken");
}

const awsPath = fc.constantFrom(
  "/token",
  "/token?aws_iam=t",
  "/client/register",
  "/device_authorization",
  "/",
  "/token?aws_iam=x",
  "/token/extra",
  "/client/register?x=%zz",
  "//token",
);
const randomPath = fc
  .array(fc.stringMatching(/^[A-Za-z0-9._~%-]{0,12}$/), { minLength: 1, maxLength: 4 })
  .map((segments) => `/${segments.join("/")}`);
const memberNames = ["clientId", "clientSecret", "grantType", "code", "refreshToken", "assertion", "scope", "redirectUri",
  "subjectToken", "subjectTokenType", "requestedTokenType", "codeVerifier", "deviceCode", "clientName", "clientType", "startUrl"];
const junkValue = fc.oneof(fc.string({ maxLength: 40 }), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string({ maxLength: 8 }), { maxLength: 4 }), fc.object({ maxDepth: 2 }));
const memberObject = fc.dictionary(fc.constantFrom(...memberNames), junkValue, { maxKeys: 8 });
const body = fc.oneof(
  fc.string({ maxLength: 200 }), // mostly broken JSON
  fc.json({ maxDepth: 3 }),
  memberObject.map((o) => JSON.stringify(o)),
  memberObject.map((o) => JSON.stringify(o).slice(0, -1)), // truncated
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
  fc.constant(""),
);
const contentType = fc.option(
  fc.constantFrom("application/json", "application/x-amz-json-1.1", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "", "application/json; charset=utf-16"),
  { nil: undefined },
);
const junkHeaders = fc.dictionary(
  fc.stringMatching(/^x-[a-z0-9-]{1,20}$/),
  fc.stringMatching(/^[\x20-\x7e]{0,60}$/).map((v) => v.trim()),
  { maxKeys: 4 },
);
const authorization = fc.option(
  fc.oneof(
    fc.constant("AWS4-HMAC-SHA256"),
    fc.constant("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20200101/us-east-1/sso-oauth/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc"),
    fc.stringMatching(/^[\x20-\x7e]{0,80}$/).map((v) => v.trim()),
  ),
  { nil: undefined },
);
const request = fc.record({
  method: fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH"),
  path: fc.oneof(awsPath, randomPath),
  contentType,
  body,
  headers: junkHeaders,
  authorization,
});

describe("fuzzed requests", () => {
  it("answers 300 malformed raw requests with AWS-shaped 4xx, then still serves the SDK", async () => {
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const headers: Record<string, string> = { ...r.headers };
        if (r.contentType !== undefined) headers["content-type"] = r.contentType;
        if (r.authorization !== undefined) headers["authorization"] = r.authorization;
        const response = await rawRequest(h.url, { method: r.method, path: r.path, headers, body: r.body });
        expectAwsShaped4xx(response, `${r.method} ${r.path} ${JSON.stringify(headers)} ${String(r.body).slice(0, 120)}`);
      }),
      { numRuns: 300 },
    );
    expect((await viaJwtBearer(h)).accessToken).toMatch(/^aoa/);
    expect(await h.dev.health()).toEqual({ status: "ok" });
  });

  it("answers 150 correctly signed CreateTokenWithIAM requests with random members with a modeled 4xx, never a token", async () => {
    const allowed = [...OPERATION_ERRORS.CreateTokenWithIAM!.filter((name) => name !== "InternalServerException"), "SerializationException"];
    const str = fc.string({ maxLength: 30 });
    const member = (known: string[]) => fc.oneof(fc.constantFrom(...known), str, junkValue);
    const input = fc.record(
      {
        clientId: member([h.defaultClientId, "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-000000000000"]),
        grantType: member([GRANT.jwtBearer, GRANT.authorizationCode, GRANT.refreshToken, GRANT.tokenExchange, GRANT.deviceCode]),
        code: member(["aoa-code"]),
        refreshToken: member(["aor-refresh"]),
        assertion: member(["eyJhbGciOiJSUzI1NiJ9.e30.c2ln"]),
        scope: fc.oneof(fc.array(fc.constantFrom("openid", "aws", "sts:identity_context", "admin"), { maxLength: 4 }), junkValue),
        redirectUri: member(["https://mywebapp.example/redirect"]),
        subjectToken: member(["aoa-subject"]),
        subjectTokenType: member([TOKEN_TYPE.accessToken, TOKEN_TYPE.idToken]),
        requestedTokenType: member([TOKEN_TYPE.accessToken, TOKEN_TYPE.awsToken, TOKEN_TYPE.refreshToken]),
        codeVerifier: member(["verifier"]),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(input, async (members) => {
        const bodyText = JSON.stringify(members);
        const { path, headers } = await signCreateTokenWithIAM({ baseUrl: h.url, region: h.region, credentials: h.credentials, body: bodyText });
        const response = await rawRequest(h.url, { method: "POST", path, headers, body: bodyText });
        expectAwsShaped4xx(response, bodyText);
        expect(allowed, `${bodyText} -> ${response.text}`).toContain(String(response.headers["x-amzn-errortype"]).split(":")[0]);
      }),
      { numRuns: 150 },
    );
    expect((await viaJwtBearer(h)).accessToken).toMatch(/^aoa/);
  });

  it("answers 400 invalid_request to developer-API requests whose body is not JSON", async () => {
    const devPaths = fc.constantFrom("/_emulator/assertions", "/_emulator/authorize", "/_emulator/faults", "/_emulator/device/approve", "/_emulator/device/deny");
    const notJson = fc.string({ maxLength: 100 }).filter((s) => {
      try {
        JSON.parse(s);
        return false;
      } catch {
        return true;
      }
    });
    await fc.assert(
      fc.asyncProperty(devPaths, notJson, async (path, text) => {
        const response = await rawRequest(h.url, { method: "POST", path, headers: { "content-type": "application/json" }, body: text });
        expect(response.status, `${path} ${text} -> ${response.text}`).toBe(400);
        expect((response.json as { error?: string })?.error).toBe("invalid_request");
      }),
      { numRuns: 50 },
    );
    expect(await h.dev.clearFaults()).toEqual({ cleared: 0 });
  });
});

describe("malformed requests get the documented AWS error type", () => {
  const cases: Array<[string, string, string, Record<string, string>, string, string]> = [
    ["broken JSON on CreateToken", "POST", "/token", { "content-type": "application/json" }, "{not json", "SerializationException"],
    ["broken JSON on RegisterClient", "POST", "/client/register", { "content-type": "application/json" }, '{"clientName": ', "SerializationException"],
    ["a JSON array body", "POST", "/device_authorization", { "content-type": "application/json" }, "[1,2]", "SerializationException"],
    ["an unknown route", "POST", "/nope", { "content-type": "application/json" }, "{}", "UnknownOperationException"],
    ["a known route with the wrong method", "GET", "/token", {}, "", "UnknownOperationException"],
    ["DELETE on device authorization", "DELETE", "/device_authorization", {}, "", "UnknownOperationException"],
  ];
  for (const [what, method, path, headers, body, errorType] of cases) {
    it(`answers ${errorType} to ${what}`, async () => {
      const response = await rawRequest(h.url, { method, path, headers, body: body === "" ? undefined : body });
      expectAwsShaped4xx(response, `${method} ${path}`);
      expect(String(response.headers["x-amzn-errortype"]).split(":")[0]).toBe(errorType);
    });
  }

  it("answers a 4xx to a JSON body sent with a content type other than JSON", async () => {
    const body = JSON.stringify({ clientName: "x", clientType: "public" });
    const response = await rawRequest(h.url, { method: "POST", path: "/client/register", headers: { "content-type": "text/plain" }, body });
    expectAwsShaped4xx(response, "text/plain RegisterClient");
  });
});

/** Writes raw bytes on a fresh socket and returns everything the server sends before closing. */
function rawSocket(baseUrl: string, bytes: string | Buffer): Promise<string> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: url.hostname, port: Number(url.port) }, () => socket.end(bytes));
    let received = "";
    socket.setTimeout(5000, () => socket.destroy(new Error("no answer within 5000 ms")));
    socket.on("data", (chunk) => (received += chunk.toString("latin1")));
    socket.on("end", () => resolve(received));
    socket.on("close", () => resolve(received));
    socket.on("error", (error: NodeJS.ErrnoException) => (error.code === "ECONNRESET" ? resolve(received) : reject(error)));
  });
}

describe("bytes that are not HTTP", () => {
  it("answers a 4xx status line (or closes) for 100 random byte strings and keeps serving", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ minLength: 1, maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
          fc.string({ maxLength: 100 }).map((junk) => `POST /token HTTP/1.1\r\nHost: x\r\n${junk}\r\n\r\n`),
          fc.constantFrom("HELLO\r\n\r\n", "GET / HTTP/9.9\r\n\r\n", "POST /token HTTP/1.1\r\nContent-Length: -1\r\n\r\n", "POST /token HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
        ),
        async (bytes) => {
          const answer = await rawSocket(h.url, bytes);
          const status = /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1];
          if (status !== undefined) expect(Number(status), answer.slice(0, 200)).toBeGreaterThanOrEqual(400);
          if (status !== undefined) expect(Number(status), answer.slice(0, 200)).toBeLessThan(500);
        },
      ),
      { numRuns: 100 },
    );
    expect((await viaJwtBearer(h)).accessToken).toMatch(/^aoa/);
  });
});

describe("oversized bodies", () => {
  const huge = JSON.stringify({ clientName: "x".repeat(70 * 1024), clientType: "public" });

  for (const path of ["/client/register", "/token", "/token?aws_iam=t", "/device_authorization"]) {
    it(`answers 413 to a body over 64 KiB on ${path}`, async () => {
      const response = await rawRequest(h.url, { method: "POST", path, headers: { "content-type": "application/json" }, body: huge });
      expect(response.status, response.text.slice(0, 200)).toBe(413);
      expectAwsShaped4xx(response, `oversized ${path}`);
    });
  }

  it("answers 413 to an oversized developer-API body and keeps serving", async () => {
    const response = await rawRequest(h.url, {
      method: "POST",
      path: "/_emulator/assertions",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ sub: "x".repeat(70 * 1024) }),
    });
    expect(response.status).toBe(413);
    expect((await viaJwtBearer(h)).accessToken).toMatch(/^aoa/);
  });

  it("accepts a body just under 64 KiB (the limit is not lower than documented)", async () => {
    const { assertion } = await h.dev.assertion({ sub: "alice" });
    // JSON whitespace pads the body to 60 KiB without changing its meaning
    const bodyText = JSON.stringify({ clientId: h.defaultClientId, grantType: GRANT.jwtBearer, assertion }) + " ".repeat(60 * 1024);
    const { path, headers } = await signCreateTokenWithIAM({ baseUrl: h.url, region: h.region, credentials: h.credentials, body: bodyText });
    const response = await rawRequest(h.url, { method: "POST", path, headers, body: bodyText });
    expect(response.status, response.text.slice(0, 300)).toBe(200);
  });
});
