/**
 * GET/POST /authorize over plain HTTP: the consent page's headers, where each kind of bad request
 * ends (an error page when the client or redirect URI is not verified, the client's redirect URI
 * otherwise), the one-time form token and the same-origin check. The browser walk-through is in
 * test/browser/emulator-signin.test.ts.
 */
import { describe, expect, it } from "vitest";
import { rejectionOf } from "../support/emulator-harness.js";
import { expectAwsException } from "../support/emulator-expect.js";
import { pkce } from "../support/emulator-flows.js";
import { DEFAULT_REDIRECT_URIS, GRANT } from "../support/emulator-model.js";
import { callbackAt, registerCodeClient } from "../support/emulator-public-clients.js";
import { emulatorForFile, errorIn, formTokenIn, getPage, postForm, redirectQuery, type PageAnswer } from "./signin-http.js";

const REDIRECT_URI = DEFAULT_REDIRECT_URIS[1]!;

const emulator = emulatorForFile();

function authorizeQuery(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const query: Record<string, string | undefined> = {
    response_type: "code",
    client_id: emulator.h.defaultClientId,
    redirect_uri: REDIRECT_URI,
    state: "state-123",
    ...overrides,
  };
  return Object.fromEntries(Object.entries(query).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

const consentPage = (overrides: Record<string, string | undefined> = {}) => getPage(emulator.h.url, "/authorize", authorizeQuery(overrides));

async function submit(page: PageAnswer, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<PageAnswer> {
  return postForm(emulator.h.url, "/authorize", { form_token: formTokenIn(page), ...fields }, headers);
}

function expectErrorPageWithoutRedirect(answer: PageAnswer, status: number, message: string): void {
  expect({ status: answer.status, location: answer.location, error: errorIn(answer) }).toEqual({ status, location: null, error: message });
}

describe("the consent page", () => {
  it("shows a user-name field and Allow/Deny, uncached, unframeable and script-free", async () => {
    const page = await consentPage({ scopes: "openid aws" });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("cache-control")).toBe("no-store");
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    expect(page.headers.get("content-security-policy")).toBe("default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'");
    expect(page.body).toContain('<input type="text" id="sub" name="sub" value="" required');
    expect(page.body).toContain('<button type="submit" name="decision" value="allow">Allow</button>');
    expect(page.body).toContain('<button type="submit" name="decision" value="deny" formnovalidate>Deny</button>');
    expect(page.body).toContain(`<dd id="scopes">openid aws</dd>`);
    expect(page.body).not.toMatch(/<script|https?:\/\/(?!localhost:4000)/);
  });

  it("Allow redirects with a single-use code bound to the PKCE challenge, which CreateTokenWithIAM exchanges", async () => {
    const proof = pkce("S256");
    const page = await consentPage({ code_challenge: proof.challenge, code_challenge_method: "S256", scope: "openid" });
    const answer = await submit(page, { sub: "alice", decision: "allow" });
    expect(answer.status).toBe(302);
    expect(answer.headers.get("cache-control")).toBe("no-store");
    expect(redirectQuery(answer.location)).toEqual({ target: REDIRECT_URI, params: { code: "<code>", state: "state-123" } });
    const code = new URL(answer.location!).searchParams.get("code")!;
    const exchange = { grantType: GRANT.authorizationCode, code, redirectUri: REDIRECT_URI };
    expectAwsException(await rejectionOf(emulator.h.createTokenWithIAM(exchange)), "InvalidGrantException");
    const tokens = await emulator.h.createTokenWithIAM({ ...exchange, codeVerifier: proof.verifier });
    expect({ tokenType: tokens.tokenType, scope: tokens.scope }).toEqual({ tokenType: "Bearer", scope: ["openid"] });
    expectAwsException(await rejectionOf(emulator.h.createTokenWithIAM({ ...exchange, codeVerifier: proof.verifier })), "InvalidGrantException");
  });

  it("Deny redirects with error=access_denied and the state, and no code", async () => {
    const answer = await submit(await consentPage(), { decision: "deny" });
    expect(answer.status).toBe(302);
    expect(redirectQuery(answer.location)).toEqual({ target: REDIRECT_URI, params: { error: "access_denied", state: "state-123" } });
  });

  it("leaves state out of the redirect when the request had none", async () => {
    const answer = await submit(await consentPage({ state: undefined }), { decision: "deny" });
    expect(redirectQuery(answer.location).params).toEqual({ error: "access_denied" });
  });

  it("asks again for a user name when Allow comes without one, with a fresh form", async () => {
    const page = await consentPage();
    const again = await submit(page, { sub: "  ", decision: "allow" });
    expect({ status: again.status, location: again.location, error: errorIn(again) }).toEqual({ status: 400, location: null, error: "Enter a user name to sign in as." });
    const answer = await submit(again, { sub: "bob", decision: "allow" });
    expect(redirectQuery(answer.location).params).toEqual({ code: "<code>", state: "state-123" });
  });
});

describe("requests the page will not redirect for", () => {
  it("shows an error page, never a redirect, for a redirect URI the application does not have", async () => {
    const answer = await consentPage({ redirect_uri: "https://attacker.example/steal" });
    expectErrorPageWithoutRedirect(answer, 400, `The redirect_uri https://attacker.example/steal is not registered for ${emulator.h.defaultClientId}.`);
  });

  it("shows an error page for an unknown client, and for a missing client_id or redirect_uri", async () => {
    expectErrorPageWithoutRedirect(await consentPage({ client_id: "nobody" }), 400, "No application or registered client has the client_id nobody.");
    expectErrorPageWithoutRedirect(await consentPage({ client_id: undefined }), 400, "The request has no client_id.");
    expectErrorPageWithoutRedirect(await consentPage({ redirect_uri: undefined }), 400, "The request has no redirect_uri.");
  });

  it("trusts a public client's port-less loopback registration on any port, and on no other path", async () => {
    const { clientId } = await registerCodeClient(emulator.h.client());
    expect((await consentPage({ client_id: clientId, redirect_uri: callbackAt(50_123) })).status).toBe(200);
    const otherPath = "http://127.0.0.1:50123/elsewhere";
    expectErrorPageWithoutRedirect(await consentPage({ client_id: clientId, redirect_uri: otherPath }), 400, `The redirect_uri ${otherPath} is not registered for ${clientId}.`);
  });

  it("shows HTML from the query as text", async () => {
    const answer = await consentPage({ client_id: `<script>alert("x")</script>` });
    expect(errorIn(answer)).toBe("No application or registered client has the client_id &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;.");
    expect(answer.body).not.toContain("<script");
  });
});

describe("requests answered on the verified redirect URI", () => {
  it.each([
    [{ response_type: "token" }, "unsupported_response_type", "Only response_type=code is supported."],
    [{ response_type: undefined }, "invalid_request", "response_type must be given once."],
    [{ code_challenge: "short", code_challenge_method: "S256" }, "invalid_request", "code_challenge must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636)."],
    [{ code_challenge: "a".repeat(43), code_challenge_method: "S512" }, "invalid_request", "code_challenge_method must be S256 or plain."],
  ])("%j → error=%s", async (overrides, error, description) => {
    const answer = await consentPage(overrides);
    expect(answer.status).toBe(302);
    expect(redirectQuery(answer.location)).toEqual({ target: REDIRECT_URI, params: { error, error_description: description, state: "state-123" } });
  });
});

describe("refusals of the code issuer, after Allow", () => {
  it("redirects error=invalid_scope for a scope the application does not have", async () => {
    const answer = await submit(await consentPage({ scopes: "openid admin:everything" }), { sub: "alice", decision: "allow" });
    expect(redirectQuery(answer.location)).toEqual({
      target: REDIRECT_URI,
      params: { error: "invalid_scope", error_description: "scope: the application does not have admin:everything", state: "state-123" },
    });
  });
});

describe("form posts the emulator refuses", () => {
  it("refuses a form without a token, or a token used once already", async () => {
    const missing = await postForm(emulator.h.url, "/authorize", { sub: "alice", decision: "allow" });
    expectErrorPageWithoutRedirect(missing, 400, "This sign-in form has expired or was already used.");
    const page = await consentPage();
    expect((await submit(page, { decision: "deny" })).status).toBe(302);
    expectErrorPageWithoutRedirect(await submit(page, { decision: "deny" }), 400, "This sign-in form has expired or was already used.");
  });

  it("refuses a form posted from another origin or site, even with a valid token", async () => {
    const page = await consentPage();
    const fromElsewhere = await submit(page, { sub: "alice", decision: "allow" }, { origin: "http://attacker.example" });
    expectErrorPageWithoutRedirect(fromElsewhere, 403, "The sign-in was refused: the form was posted from another origin.");
    const crossSite = await submit(page, { sub: "alice", decision: "allow" }, { "sec-fetch-site": "cross-site" });
    expectErrorPageWithoutRedirect(crossSite, 403, "The sign-in was refused: the form was posted from another site.");
  });

  it("accepts a post naming its own origin, and ignores a redirect_uri field in the form", async () => {
    const page = await consentPage();
    const answer = await submit(page, { sub: "alice", decision: "allow", redirect_uri: "https://attacker.example/" }, { origin: emulator.h.url });
    expect(redirectQuery(answer.location)).toEqual({ target: REDIRECT_URI, params: { code: "<code>", state: "state-123" } });
  });

  it("refuses a body that is not form-encoded, and methods other than GET and POST", async () => {
    const json = await postForm(emulator.h.url, "/authorize", {}, { "content-type": "application/json" });
    expectErrorPageWithoutRedirect(json, 415, "The sign-in was refused: the form must be sent as application/x-www-form-urlencoded.");
    const put = await fetch(`${emulator.h.url}/authorize`, { method: "PUT" });
    expect({ status: put.status, allow: put.headers.get("allow") }).toEqual({ status: 405, allow: "GET, POST" });
  });
});
