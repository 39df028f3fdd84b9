import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { dataOf, graphql, onlyError } from "../../support/gateway-client.js";
import { NO_CONTEXT_ROLE, SHORT_APP, startCredentialsFixture, type CredentialsFixture } from "./credentials-fixture.js";

/**
 * STS's refusals name the field the caller must change, as the gateway's own input errors do: a
 * session longer than the role allows (STS's ValidationError) names durationSeconds, a role whose
 * trust policy refuses the context names roleArn, an ended Identity Center session names the
 * identity context. Before, each came back with no `extensions.field`, and INVALID_REQUEST said
 * "the identity context or the session length": the caller could not tell which to change.
 * A real gateway process (CREDENTIALS_MAX_DURATION_SECONDS above the emulator role's 3600 s), the
 * emulator's STS on real HTTP.
 */

const EXCHANGE = `mutation Exchange($assertion: String!, $clientId: String, $durationSeconds: Int) {
  createTokenWithIAM(input: { grantType: JWT_BEARER, assertion: $assertion, clientId: $clientId }) {
    awsAdditionalDetails { identityContext }
    awsCredentials(durationSeconds: $durationSeconds) { accessKeyId }
  }
}`;
const RENEW = "mutation Renew($input: AssumeRoleWithIdentityContextInput!) { assumeRoleWithIdentityContext(input: $input) { accessKeyId } }";

let fixture: CredentialsFixture;

beforeAll(async () => {
  fixture = await startCredentialsFixture({
    CREDENTIALS_MAX_DURATION_SECONDS: "7200",
    RATE_LIMIT_CALLER_PER_SECOND: "0", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0", RATE_LIMIT_APP_PER_SECOND: "0",
  });
}, 60_000);

afterEach(() => fixture.setClockOffset(0));

afterAll(async () => {
  await fixture?.stop();
});

async function exchange(sub: string, options: { clientId?: string; durationSeconds?: number } = {}) {
  const assertion = await fixture.api.mintAssertion({ sub });
  return graphql(fixture.gateway.url, EXCHANGE, { assertion, ...options });
}

function identityContextOf(result: Awaited<ReturnType<typeof exchange>>): string {
  // The tokens come back whether or not their awsCredentials did.
  const data = (result.body.data ?? dataOf(result)) as { createTokenWithIAM: { awsAdditionalDetails: { identityContext: string } } };
  return data.createTokenWithIAM.awsAdditionalDetails.identityContext;
}

describe("STS refusals name the offending field", () => {
  it("names durationSeconds when STS refuses a session longer than the role allows, on the field and on the mutation, also when the refusal is remembered", async () => {
    const before = await fixture.assumeRoleCalls();
    const result = await exchange("rita", { durationSeconds: 7200 });
    const fieldError = onlyError(result);
    expect(fieldError).toMatchObject({ path: ["createTokenWithIAM", "awsCredentials"], extensions: { code: "INVALID_REQUEST", awsException: "ValidationError", field: "durationSeconds" } });
    expect(fieldError.message).toMatch(/durationSeconds/);
    expect(fieldError.message).not.toMatch(/identity context/);
    // The same request by the mutation: STS's refusal is remembered (no second call), and names the mutation's field.
    const input = { identityContext: identityContextOf(result), durationSeconds: 7200 };
    const mutationError = onlyError(await graphql(fixture.gateway.url, RENEW, { input }));
    expect(mutationError.extensions).toMatchObject({ code: "INVALID_REQUEST", awsException: "ValidationError", field: "input.durationSeconds" });
    expect(mutationError.message).toMatch(/durationSeconds/);
    expect(await fixture.assumeRoleCalls()).toBe(before + 1);
  });

  it("names input.durationSeconds the first time too, when the mutation is the one that reaches STS", async () => {
    const identityContext = identityContextOf(await exchange("sam"));
    const error = onlyError(await graphql(fixture.gateway.url, RENEW, { input: { identityContext, durationSeconds: 6900 } }));
    expect(error.extensions).toMatchObject({ code: "INVALID_REQUEST", field: "input.durationSeconds" });
  });

  it("names input.roleArn when the role's trust policy refuses the identity context", async () => {
    const identityContext = identityContextOf(await exchange("tess"));
    const error = onlyError(await graphql(fixture.gateway.url, RENEW, { input: { identityContext, roleArn: NO_CONTEXT_ROLE } }));
    expect(error.extensions).toMatchObject({ code: "ACCESS_DENIED", awsException: "AccessDenied", field: "input.roleArn" });
  });

  it("names input.identityContext when its Identity Center session has ended", async () => {
    const identityContext = identityContextOf(await exchange("uma", { clientId: SHORT_APP }));
    fixture.setClockOffset(61_000);
    const error = onlyError(await graphql(fixture.gateway.url, RENEW, { input: { identityContext, durationSeconds: 1500 } }));
    expect(error.extensions).toMatchObject({ code: "EXPIRED_TOKEN", awsException: "ExpiredTokenException", field: "input.identityContext" });
  });
});
