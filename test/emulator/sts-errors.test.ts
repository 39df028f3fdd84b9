/**
 * Every AssumeRole / GetCallerIdentity refusal, as the unmodified `@aws-sdk/client-sts` raises it:
 * the SDK's class (its modeled exception, or STSServiceException named after the code), the status
 * and the fault. Expiry is reached by moving the clock that both the SDK and the emulator read.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AssumeRoleCommand, ExpiredTokenException, GetCallerIdentityCommand, MalformedPolicyDocumentException, STSClient, STSServiceException, type AssumeRoleCommandInput } from "@aws-sdk/client-sts";
import { DEFAULT_ROLE_ARN } from "../../src/emulator/index.js";
import { rejectionOf, type TestEmulator } from "../support/emulator-harness.js";
import { identityContextFor, providedContext, startStsEmulator, withMovableClock, type StsClients, type StsTestEmulator } from "../support/emulator-sts.js";

const PLAIN_ROLE = "arn:aws:iam::123456789012:role/PlainRole";
const LONG_ROLE = "arn:aws:iam::123456789012:role/LongSessions";

/** Asserts an STS refusal: the SDK's class for it, its code as `name`, status and fault; returns its message. */
function expectStsError(error: unknown, name: string, status: number, type: abstract new (...args: never[]) => STSServiceException = STSServiceException): string {
  expect(error, String(error)).toBeInstanceOf(type);
  const e = error as STSServiceException;
  expect({ name: e.name, status: e.$metadata.httpStatusCode, fault: e.$fault }).toEqual({ name, status, fault: "client" });
  expect(e.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
  return e.message;
}

let running: StsTestEmulator;
let h: TestEmulator;
let sts: StsClients;
beforeAll(async () => {
  const roles = [{ arn: DEFAULT_ROLE_ARN }, { arn: PLAIN_ROLE, allowSetContext: false }, { arn: LONG_ROLE, maxSessionDurationSeconds: 43200 }];
  running = await startStsEmulator({ config: { roles } });
  ({ h, sts } = running);
});
afterAll(() => running?.stop());
beforeEach(async () => {
  await h.dev.reset();
});

const assumeRole = (input: Partial<AssumeRoleCommandInput>, client: STSClient = sts.base) =>
  rejectionOf(client.send(new AssumeRoleCommand({ RoleArn: DEFAULT_ROLE_ARN, RoleSessionName: "session", ...input })));

describe("AssumeRole's roles and trust policies", () => {
  it("refuses a role it does not know with AccessDenied (403) naming the caller and the role", async () => {
    const message = expectStsError(await assumeRole({ RoleArn: "arn:aws:iam::123456789012:role/Nobody" }), "AccessDenied", 403);
    expect(message).toBe("User: arn:aws:iam::123456789012:user/idc-token-gateway is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/Nobody");
  });

  it("refuses ProvidedContexts on a role whose trust policy lacks sts:SetContext with AccessDenied (403)", async () => {
    const context = await identityContextFor(h, "alice");
    const message = expectStsError(await assumeRole({ RoleArn: PLAIN_ROLE, ProvidedContexts: providedContext(context) }), "AccessDenied", 403);
    expect(message).toContain(`sts:SetContext on resource: ${PLAIN_ROLE}`);
  });
});

describe("AssumeRole's context assertions", () => {
  it("refuses an assertion this emulator never issued with InvalidParameterValue (400)", async () => {
    expectStsError(await assumeRole({ ProvidedContexts: providedContext("not-an-issued-context") }), "InvalidParameterValue", 400);
  });

  it("refuses a provider other than Identity Center with InvalidParameterValue (400)", async () => {
    const context = await identityContextFor(h, "alice");
    const other = [{ ProviderArn: "arn:aws:iam::aws:contextProvider/Other", ContextAssertion: context }];
    expectStsError(await assumeRole({ ProvidedContexts: other }), "InvalidParameterValue", 400);
  });

  it("refuses an assertion whose Identity Center session expired with ExpiredTokenException (400)", async () => {
    await withMovableClock(async ({ h: timed, sts: timedSts }, advance) => {
      const context = await identityContextFor(timed, "alice");
      advance(3601_000); // past the access token's lifetime (3600 s): the sign-in has no live token left
      const error = await assumeRole({ ProvidedContexts: providedContext(context) }, timedSts.base);
      expectStsError(error, "ExpiredTokenException", 400, ExpiredTokenException);
    });
  });
});

describe("AssumeRole's members (ValidationError, 400)", () => {
  const cases: [string, Partial<AssumeRoleCommandInput>, string][] = [
    ["a one-character RoleSessionName", { RoleSessionName: "a" }, "at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2"],
    ["a 65-character RoleSessionName", { RoleSessionName: "a".repeat(65) }, "Member must have length less than or equal to 64"],
    ["a RoleSessionName with a space", { RoleSessionName: "two words" }, "Member must satisfy regular expression pattern: [\\w+=,.@-]*"],
    ["DurationSeconds 899", { DurationSeconds: 899 }, "at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"],
    ["DurationSeconds 43201", { DurationSeconds: 43201, RoleArn: LONG_ROLE }, "Member must have value less than or equal to 43200"],
    ["DurationSeconds above the role's maximum session duration", { DurationSeconds: 3601 }, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."],
    ["six provided contexts", { ProvidedContexts: Array.from({ length: 6 }, () => providedContext("abcd")[0]!) }, "at 'providedContexts' failed to satisfy constraint: Member must have length less than or equal to 5"],
    ["a three-character context assertion", { ProvidedContexts: providedContext("abc") }, "Member must have length greater than or equal to 4"],
    ["a context assertion over 2048 characters", { ProvidedContexts: providedContext("a".repeat(2049)) }, "Member must have length less than or equal to 2048"],
    // Members the emulator does not act on are still checked against the model, as AWS checks them.
    ["a SourceIdentity with a space", { SourceIdentity: "alice smith" }, "Value 'alice smith' at 'sourceIdentity' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"],
    ["a SourceIdentity with AWS's reserved prefix aws:", { SourceIdentity: "aws:alice" }, "at 'sourceIdentity' failed to satisfy constraint: Member must satisfy regular expression pattern"],
    ["a 65-character SourceIdentity", { SourceIdentity: "a".repeat(65) }, "at 'sourceIdentity' failed to satisfy constraint: Member must have length less than or equal to 64"],
    ["51 session tags", { Tags: Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: "v" })) }, "at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"],
    ["a 129-character tag key", { Tags: [{ Key: "k".repeat(129), Value: "v" }] }, "at 'tags.1.member.key' failed to satisfy constraint: Member must have length less than or equal to 128"],
    ["a tag value with a character outside the pattern", { Tags: [{ Key: "team", Value: "a;b" }] }, "Value 'a;b' at 'tags.1.member.value' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*"],
    ["a 257-character tag value", { Tags: [{ Key: "team", Value: "v".repeat(257) }] }, "at 'tags.1.member.value' failed to satisfy constraint: Member must have length less than or equal to 256"],
    ["a transitive tag key with a character outside the pattern", { TransitiveTagKeys: ["a;b"] }, "at 'transitiveTagKeys.1.member' failed to satisfy constraint: Member must satisfy regular expression pattern"],
    ["an ExternalId with a space", { ExternalId: "my external id" }, "at 'externalId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*"],
    ["a TokenCode of letters", { SerialNumber: "arn:aws:iam::123456789012:mfa/user", TokenCode: "abcdef" }, "Value 'abcdef' at 'tokenCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\d]*"],
    ["a seven-digit TokenCode", { SerialNumber: "arn:aws:iam::123456789012:mfa/user", TokenCode: "1234567" }, "at 'tokenCode' failed to satisfy constraint: Member must have length less than or equal to 6"],
    ["a policy ARN under 20 characters", { PolicyArns: [{ arn: "arn:aws:iam::1:p/x" }] }, "at 'policyArns.1.member.arn' failed to satisfy constraint: Member must have length greater than or equal to 20"],
    ["a session policy with a character above \\u00FF", { Policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/\u4e2d"}]}' }, "at 'policy' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+"],
    ["a session policy over 2048 characters (the model's sessionPolicyDocumentType)", { Policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: `arn:aws:s3:::b/${"k".repeat(2000)}` }] }) }, "at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048"],
  ];
  for (const [title, input, expected] of cases) {
    it(`refuses ${title}`, async () => {
      expect(expectStsError(await assumeRole(input), "ValidationError", 400)).toContain(expected);
    });
  }

  it("lists every violation in one ValidationError, as AWS's validator does (each member's, and each constraint a member breaks)", async () => {
    const message = expectStsError(await assumeRole({ RoleSessionName: "two words", DurationSeconds: 899, SourceIdentity: "a", Tags: [{ Key: "k".repeat(129), Value: "a;b" }] }), "ValidationError", 400);
    expect(message).toBe([
      "5 validation errors detected: Value 'two words' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
      "Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
      "Value 'a' at 'sourceIdentity' failed to satisfy constraint: Member must have length greater than or equal to 2",
      `Value '${"k".repeat(100)}' at 'tags.1.member.key' failed to satisfy constraint: Member must have length less than or equal to 128`,
      "Value 'a;b' at 'tags.1.member.value' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*",
    ].join("; "));
    const both = expectStsError(await assumeRole({ RoleSessionName: "a b".repeat(30) }), "ValidationError", 400);
    expect(both).toMatch(/^2 validation errors detected: Value 'a ba b[^']*' at 'roleSessionName' failed to satisfy constraint: Member must have length less than or equal to 64; Value '[^']*' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern/);
  });

  it("a hostile request's ValidationError is no larger than the request: 1,500 one-character policy ARNs (an unbounded list in the model) are not answered entry by entry", async () => {
    const PolicyArns = Array.from({ length: 1_500 }, () => ({ arn: "\u0001" }));
    const message = expectStsError(await assumeRole({ PolicyArns }), "ValidationError", 400);
    // The request is ~45 KB; each entry broke two constraints and was echoed with both (3,000 violations, ~490 KB).
    expect(message.length).toBeLessThan(45_000);
    expect(message).toMatch(/^3000 validation errors detected: Value '\u0001' at 'policyArns.1.member.arn' failed to satisfy constraint: /);
    expect(message.split("; ")).toHaveLength(100);
  });

  it("a request that breaks a member's constraint is a ValidationError even when its session policy is not JSON", async () => {
    expectStsError(await assumeRole({ Policy: "{not json", RoleSessionName: "a" }), "ValidationError", 400);
  });

  it("refuses a session policy that is not JSON with the model's MalformedPolicyDocument (400)", async () => {
    for (const Policy of ["{not json", "[]", '"s3:*"']) {
      const message = expectStsError(await assumeRole({ Policy }), "MalformedPolicyDocumentException", 400, MalformedPolicyDocumentException);
      expect(message).toBe("The policy is not in the valid JSON format.");
    }
  });

  it("accepts valid session policies, policy ARNs, tags, external id, MFA and source identity (and ignores them)", async () => {
    const out = await sts.base.send(new AssumeRoleCommand({
      RoleArn: DEFAULT_ROLE_ARN,
      RoleSessionName: "tagged",
      Policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] }),
      PolicyArns: [{ arn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }],
      Tags: [{ Key: "Project", Value: "Blue Sky" }, { Key: "cost-center", Value: "" }],
      TransitiveTagKeys: ["Project"],
      ExternalId: "ext-id:1234/5",
      SerialNumber: "arn:aws:iam::123456789012:mfa/user",
      TokenCode: "123456",
      SourceIdentity: "alice@example.com",
    }));
    expect(out.AssumedRoleUser!.Arn).toBe("arn:aws:sts::123456789012:assumed-role/IdentityCenterUser/tagged");
  });

  it("never echoes a context assertion in its message (it is a credential)", async () => {
    const assertion = `secret-${"x".repeat(2048)}`;
    const message = expectStsError(await assumeRole({ ProvidedContexts: providedContext(assertion) }), "ValidationError", 400);
    expect(message).toBe("1 validation error detected: Value at 'providedContexts.1.member.contextAssertion' failed to satisfy constraint: Member must have length less than or equal to 2048");
  });

  it("accepts a session up to the role's maximum (43200 s)", async () => {
    const out = await sts.base.send(new AssumeRoleCommand({ RoleArn: LONG_ROLE, RoleSessionName: "long", DurationSeconds: 43200 }));
    expect(out.AssumedRoleUser!.Arn).toBe("arn:aws:sts::123456789012:assumed-role/LongSessions/long");
  });

  it("refuses more than one hour when the caller's credentials are themselves assumed-role credentials (role chaining)", async () => {
    const first = await sts.base.send(new AssumeRoleCommand({ RoleArn: LONG_ROLE, RoleSessionName: "first", DurationSeconds: 7200 }));
    const message = expectStsError(await assumeRole({ RoleArn: LONG_ROLE, DurationSeconds: 3601 }, sts.signedWith(first.Credentials!)), "ValidationError", 400);
    expect(message).toBe("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.");
  });
});

describe("temporary credentials", () => {
  it("refuses a request whose session token is not the one issued with InvalidClientTokenId (403)", async () => {
    const { Credentials } = await sts.base.send(new AssumeRoleCommand({ RoleArn: PLAIN_ROLE, RoleSessionName: "tok" }));
    const forged = sts.signedWith({ ...Credentials!, SessionToken: `${Credentials!.SessionToken!.slice(0, -4)}AAAA` });
    expectStsError(await rejectionOf(forged.send(new GetCallerIdentityCommand({}))), "InvalidClientTokenId", 403);
    const missing = new STSClient({
      endpoint: h.url,
      region: h.region,
      credentials: { accessKeyId: Credentials!.AccessKeyId!, secretAccessKey: Credentials!.SecretAccessKey! },
      maxAttempts: 1,
    });
    try {
      expectStsError(await rejectionOf(missing.send(new GetCallerIdentityCommand({}))), "InvalidClientTokenId", 403);
    } finally {
      missing.destroy();
    }
  });

  it("refuses expired session credentials with ExpiredToken (403)", async () => {
    await withMovableClock(async ({ h: timed, sts: timedSts }, advance) => {
      const { Credentials } = await timedSts.base.send(new AssumeRoleCommand({ RoleArn: DEFAULT_ROLE_ARN, RoleSessionName: "exp", DurationSeconds: 900 }));
      const client = timedSts.signedWith(Credentials!);
      expect((await client.send(new GetCallerIdentityCommand({}))).Arn).toBe("arn:aws:sts::123456789012:assumed-role/IdentityCenterUser/exp");
      advance(901_000);
      expectStsError(await rejectionOf(client.send(new GetCallerIdentityCommand({}))), "ExpiredToken", 403);
      expect((await timed.dev.stsSession(Credentials!.AccessKeyId!)).expired).toBe(true);
    });
  });

  it("refuses a signature made with the wrong secret with SignatureDoesNotMatch (403)", async () => {
    const wrong = new STSClient({ endpoint: h.url, region: h.region, credentials: { ...h.credentials, secretAccessKey: "not-the-secret" }, maxAttempts: 1 });
    try {
      expectStsError(await rejectionOf(wrong.send(new GetCallerIdentityCommand({}))), "SignatureDoesNotMatch", 403);
    } finally {
      wrong.destroy();
    }
  });
});

describe("the developer API's session lookup", () => {
  it("answers 404 for an access key id no AssumeRole returned", async () => {
    const answer = await h.dev.raw("GET", "/_emulator/sts/sessions/ASIAAAAAAAAAAAAAAAAA");
    expect(answer.status).toBe(404);
    expect(answer.body).toEqual({ error: "invalid_request", error_description: "accessKeyId: no role session has this access key id" });
  });
});
