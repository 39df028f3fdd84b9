/**
 * GET/POST /device over plain HTTP: the prefilled code, loosely typed codes, unknown codes, the
 * one-time form token, the same-origin check and escaping. The browser walk-through is in
 * test/browser/emulator-signin.test.ts.
 */
import { describe, expect, it } from "vitest";
import { rejectionOf } from "../support/emulator-harness.js";
import { expectAwsException } from "../support/emulator-expect.js";
import { emulatorForFile, errorIn, formTokenIn, getPage, postForm, startDeviceAuthorization, type PageAnswer } from "./signin-http.js";

const emulator = emulatorForFile();
const startDevice = () => startDeviceAuthorization(emulator.h.client());

async function decide(fields: Record<string, string>, headers: Record<string, string> = {}): Promise<PageAnswer> {
  const page = await getPage(emulator.h.url, "/device");
  return postForm(emulator.h.url, "/device", { form_token: formTokenIn(page), ...fields }, headers);
}

const outcomeIn = (page: PageAnswer) => /<p id="outcome">([^<]*)<\/p>/.exec(page.body)?.[1];
const userCodeValueIn = (page: PageAnswer) => /id="user_code" name="user_code" value="([^"]*)"/.exec(page.body)?.[1];

describe("the device verification page", () => {
  it("prefills the code from ?user_code= and is uncached and unframeable", async () => {
    const page = await getPage(emulator.h.url, "/device", { user_code: "ABCD-EFGH" });
    expect(page.status).toBe(200);
    expect({ cache: page.headers.get("cache-control"), frame: page.headers.get("x-frame-options") }).toEqual({ cache: "no-store", frame: "DENY" });
    expect(userCodeValueIn(page)).toBe("ABCD-EFGH");
    expect(page.body).toContain('<input type="text" id="sub" name="sub" value="" required');
    expect(page.body).toContain('<button type="submit" name="decision" value="allow">Allow</button>');
  });

  it("shows HTML in user_code as text inside the field", async () => {
    const page = await getPage(emulator.h.url, "/device", { user_code: `"><img src=x onerror=alert(1)>` });
    expect(userCodeValueIn(page)).toBe("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
    expect(page.body).not.toContain("<img");
  });

  it("Allow with a code typed in lower case without its hyphen approves the authorization; CreateToken then issues tokens", async () => {
    const { userCode, poll } = await startDevice();
    const done = await decide({ user_code: userCode.replace("-", "").toLowerCase(), sub: "carol", decision: "allow" });
    expect({ status: done.status, outcome: outcomeIn(done) }).toEqual({ status: 200, outcome: "The application is now signed in. You can close this window." });
    const tokens = await poll();
    expect(tokens.tokenType).toBe("Bearer");
    expect(tokens.accessToken).toMatch(/^aoa/);
  });

  it("Deny denies it: CreateToken answers AccessDeniedException", async () => {
    const { userCode, poll } = await startDevice();
    const done = await decide({ user_code: userCode, decision: "deny" });
    expect({ status: done.status, outcome: outcomeIn(done) }).toEqual({ status: 200, outcome: "The application was not signed in. You can close this window." });
    expectAwsException(await rejectionOf(poll()), "AccessDeniedException");
  });

  it("says so, keeping what was typed, for a code with no pending authorization (unknown or already decided)", async () => {
    const unknown = await decide({ user_code: "ZZZZ-ZZZZ", sub: "carol", decision: "allow" });
    expect({ status: unknown.status, error: errorIn(unknown), code: userCodeValueIn(unknown) }).toEqual({
      status: 400,
      error: "No pending request has the code ZZZZ-ZZZZ: it may have expired, or been approved or denied already.",
      code: "ZZZZ-ZZZZ",
    });
    const { userCode } = await startDevice();
    expect((await decide({ user_code: userCode, decision: "deny" })).status).toBe(200);
    expect(errorIn(await decide({ user_code: userCode, sub: "carol", decision: "allow" }))).toBe(
      `No pending request has the code ${userCode}: it may have expired, or been approved or denied already.`,
    );
  });

  it("asks for a user name before approving", async () => {
    const { userCode, poll } = await startDevice();
    const again = await decide({ user_code: userCode, sub: "", decision: "allow" });
    expect({ status: again.status, error: errorIn(again) }).toEqual({ status: 400, error: "Enter a user name to sign in as." });
    expectAwsException(await rejectionOf(poll()), "AuthorizationPendingException");
  });
});

describe("device form posts the emulator refuses", () => {
  it("does nothing for a post without a valid token, and shows the form again", async () => {
    const { userCode, poll } = await startDevice();
    const answer = await postForm(emulator.h.url, "/device", { form_token: "forged", user_code: userCode, sub: "mallory", decision: "allow" });
    expect({ status: answer.status, error: errorIn(answer) }).toEqual({ status: 400, error: "This form has expired or was already used. Check the code and choose again." });
    expectAwsException(await rejectionOf(poll()), "AuthorizationPendingException");
  });

  it("does nothing for a post from another origin, even with a valid token", async () => {
    const { userCode, poll } = await startDevice();
    const answer = await decide({ user_code: userCode, sub: "mallory", decision: "allow" }, { origin: "http://attacker.example" });
    expect({ status: answer.status, error: errorIn(answer) }).toEqual({ status: 403, error: "The request was refused: the form was posted from another origin." });
    expectAwsException(await rejectionOf(poll()), "AuthorizationPendingException");
  });
});
