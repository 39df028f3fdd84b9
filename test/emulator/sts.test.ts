/**
 * STS on the emulator's port, through the unmodified `@aws-sdk/client-sts`: AssumeRole with an
 * identity context from a real CreateTokenWithIAM returns credentials that really sign, and
 * GetCallerIdentity with them names the role and session; the developer API names the user; the
 * wire is AWS's (query in, namespaced XML out, request id in body and header); stats and faults
 * cover both operations.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSServiceException } from "@aws-sdk/client-sts";
import { CreateTokenWithIAMCommand } from "@aws-sdk/client-sso-oidc";
import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";
import { DEFAULT_IAM_USER_ARN, DEFAULT_ROLE_ARN } from "../../src/emulator/index.js";
import { rejectionOf, type TestEmulator } from "../support/emulator-harness.js";
import { identityContextFor, providedContext, startStsEmulator, type StsClients, type StsTestEmulator } from "../support/emulator-sts.js";
import { GRANT } from "../support/emulator-model.js";

const PLAIN_ROLE = "arn:aws:iam::123456789012:role/service/PlainRole";

let running: StsTestEmulator;
let h: TestEmulator;
let sts: StsClients;
beforeAll(async () => {
  running = await startStsEmulator({ config: { roles: [{ arn: DEFAULT_ROLE_ARN }, { arn: PLAIN_ROLE, allowSetContext: false, maxSessionDurationSeconds: 43200 }] } });
  ({ h, sts } = running);
});
afterAll(() => running?.stop());
beforeEach(async () => {
  await h.dev.reset();
});

describe("GetCallerIdentity", () => {
  it("signed with the emulator's IAM credentials, names its IAM user", async () => {
    const { $metadata, ...identity } = await sts.base.send(new GetCallerIdentityCommand({}));
    expect($metadata.httpStatusCode).toBe(200);
    expect(identity).toEqual({ Arn: DEFAULT_IAM_USER_ARN, Account: "123456789012", UserId: expect.stringMatching(/^AIDA[A-Z2-7]{17}$/) });
  });
});

describe("AssumeRole with an Identity Center context", () => {
  it("returns credentials that sign GetCallerIdentity as the assumed role and session, and the session carries the user", async () => {
    const context = await identityContextFor(h, "alice");
    const assumed = await sts.base.send(
      new AssumeRoleCommand({ RoleArn: DEFAULT_ROLE_ARN, RoleSessionName: "gateway-app", ProvidedContexts: providedContext(context) }),
    );
    const credentials = assumed.Credentials!;
    expect(credentials.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(credentials.SecretAccessKey).toHaveLength(40);
    expect(credentials.SessionToken!.length).toBeGreaterThan(100);
    expect(assumed.AssumedRoleUser).toEqual({
      Arn: "arn:aws:sts::123456789012:assumed-role/IdentityCenterUser/gateway-app",
      AssumedRoleId: expect.stringMatching(/^AROA[A-Z2-7]{17}:gateway-app$/),
    });

    const identity = await sts.signedWith(credentials).send(new GetCallerIdentityCommand({}));
    expect(identity).toMatchObject({
      Arn: "arn:aws:sts::123456789012:assumed-role/IdentityCenterUser/gateway-app",
      UserId: assumed.AssumedRoleUser!.AssumedRoleId,
      Account: "123456789012",
    });

    const session = await h.dev.stsSession(credentials.AccessKeyId!);
    expect(session).toEqual({
      accessKeyId: credentials.AccessKeyId,
      roleArn: DEFAULT_ROLE_ARN,
      roleSessionName: "gateway-app",
      assumedRoleArn: "arn:aws:sts::123456789012:assumed-role/IdentityCenterUser/gateway-app",
      expiration: credentials.Expiration!.toISOString(),
      expired: false,
      identityCenter: { sub: "alice", applicationArn: h.defaultClientId },
    });
    expect((await h.dev.stats()).calls).toMatchObject({ CreateTokenWithIAM: 1, AssumeRole: 1, GetCallerIdentity: 1 });
  });

  it("lasts DurationSeconds (default 3600) from the call, in whole seconds as the wire carries them", async () => {
    const context = await identityContextFor(h, "alice");
    const before = Math.floor(Date.now() / 1000) * 1000;
    const byDefault = await sts.base.send(new AssumeRoleCommand({ RoleArn: DEFAULT_ROLE_ARN, RoleSessionName: "dur", ProvidedContexts: providedContext(context) }));
    const longer = await sts.base.send(new AssumeRoleCommand({ RoleArn: PLAIN_ROLE, RoleSessionName: "dur", DurationSeconds: 43200 }));
    const after = Math.floor(Date.now() / 1000) * 1000;
    const lifetime = (expiration: Date | undefined) => expiration!.getTime();
    expect(lifetime(byDefault.Credentials!.Expiration) - 3600_000).toBeGreaterThanOrEqual(before);
    expect(lifetime(byDefault.Credentials!.Expiration) - 3600_000).toBeLessThanOrEqual(after);
    expect(lifetime(longer.Credentials!.Expiration) - 43200_000).toBeGreaterThanOrEqual(before);
    expect(lifetime(longer.Credentials!.Expiration) - 43200_000).toBeLessThanOrEqual(after);
  });

  it("keeps working after the user's tokens are refreshed (the refresh answer carries the same identity context)", async () => {
    const first = await h.createTokenWithIAM({ grantType: GRANT.jwtBearer, assertion: (await h.dev.assertion({ sub: "bob" })).assertion });
    const refreshed = await h.createTokenWithIAM({ grantType: GRANT.refreshToken, refreshToken: first.refreshToken! });
    const context = refreshed.awsAdditionalDetails!.identityContext!;
    expect(context).toBe(first.awsAdditionalDetails!.identityContext);
    const assumed = await sts.base.send(new AssumeRoleCommand({ RoleArn: DEFAULT_ROLE_ARN, RoleSessionName: "after-refresh", ProvidedContexts: providedContext(context) }));
    expect((await h.dev.stsSession(assumed.Credentials!.AccessKeyId!)).identityCenter).toEqual({ sub: "bob", applicationArn: h.defaultClientId });
  });
});

describe("AssumeRole without a context, and role chaining", () => {
  it("assumes a role whose trust policy lacks sts:SetContext; the session carries no user", async () => {
    const assumed = await sts.base.send(new AssumeRoleCommand({ RoleArn: PLAIN_ROLE, RoleSessionName: "plain" }));
    expect(assumed.AssumedRoleUser!.Arn).toBe("arn:aws:sts::123456789012:assumed-role/PlainRole/plain");
    expect((await h.dev.stsSession(assumed.Credentials!.AccessKeyId!)).identityCenter).toBeNull();
  });

  it("answers the SourceIdentity it was given, as the model's output has it, and none when none was given", async () => {
    const withSource = await sts.base.send(new AssumeRoleCommand({ RoleArn: PLAIN_ROLE, RoleSessionName: "src", SourceIdentity: "alice@example.com" }));
    expect(withSource.SourceIdentity).toBe("alice@example.com");
    const without = await sts.base.send(new AssumeRoleCommand({ RoleArn: PLAIN_ROLE, RoleSessionName: "nosrc" }));
    expect(without).not.toHaveProperty("SourceIdentity");
  });

  it("lets assumed-role credentials assume a role (chaining) for up to one hour", async () => {
    const first = await sts.base.send(new AssumeRoleCommand({ RoleArn: PLAIN_ROLE, RoleSessionName: "first" }));
    const chained = await sts
      .signedWith(first.Credentials!)
      .send(new AssumeRoleCommand({ RoleArn: DEFAULT_ROLE_ARN, RoleSessionName: "second", DurationSeconds: 3600 }));
    const identity = await sts.signedWith(chained.Credentials!).send(new GetCallerIdentityCommand({}));
    expect(identity.Arn).toBe("arn:aws:sts::123456789012:assumed-role/IdentityCenterUser/second");
  });
});

describe("assumed-role credentials on SSO OIDC", () => {
  it("sign CreateTokenWithIAM as AWS accepts any valid credentials", async () => {
    const assumed = await sts.base.send(new AssumeRoleCommand({ RoleArn: PLAIN_ROLE, RoleSessionName: "oidc" }));
    const { AccessKeyId, SecretAccessKey, SessionToken } = assumed.Credentials!;
    const oidc = h.client({ credentials: { accessKeyId: AccessKeyId!, secretAccessKey: SecretAccessKey!, sessionToken: SessionToken! } });
    const { assertion } = await h.dev.assertion({ sub: "carol" });
    const out = await oidc.send(new CreateTokenWithIAMCommand({ clientId: h.defaultClientId, grantType: GRANT.jwtBearer, assertion }));
    expect(out.accessToken).toMatch(/^aoa-/);
  });
});

/** Signs a raw STS query request the way the SDK does, so the wire itself can be asserted. */
async function rawSts(body: string): Promise<{ status: number; headers: Headers; text: string }> {
  const url = new URL(h.url);
  const signer = new SignatureV4({ service: "sts", region: h.region, credentials: h.credentials, sha256: Hash.bind(null, "sha256") });
  const signed = await signer.sign({
    method: "POST",
    protocol: "http:",
    hostname: url.hostname,
    port: Number(url.port),
    path: "/",
    headers: { host: url.host, "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
    body,
  });
  const response = await fetch(`${h.url}/`, { method: "POST", headers: signed.headers, body });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

describe("the wire", () => {
  it("answers GetCallerIdentity in STS's namespaced XML with the request id in the body and x-amzn-requestid", async () => {
    const answer = await rawSts("Action=GetCallerIdentity&Version=2011-06-15");
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toBe("text/xml");
    const requestId = answer.headers.get("x-amzn-requestid")!;
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const userId = /<UserId>(AIDA[A-Z2-7]{17})<\/UserId>/.exec(answer.text)?.[1];
    expect(answer.text).toBe(
      `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n` +
        `  <GetCallerIdentityResult>\n` +
        `    <Arn>${DEFAULT_IAM_USER_ARN}</Arn>\n    <UserId>${userId}</UserId>\n    <Account>123456789012</Account>\n` +
        `  </GetCallerIdentityResult>\n` +
        `  <ResponseMetadata>\n    <RequestId>${requestId}</RequestId>\n  </ResponseMetadata>\n` +
        `</GetCallerIdentityResponse>\n`,
    );
  });

  it("answers errors as query-protocol XML: ErrorResponse/Error/Type, Code, Message and RequestId, with the error's status", async () => {
    const answer = await rawSts(`Action=AssumeRole&Version=2011-06-15&RoleArn=${encodeURIComponent("arn:aws:iam::123456789012:role/Missing")}&RoleSessionName=s`);
    expect(answer.status).toBe(400);
    const requestId = answer.headers.get("x-amzn-requestid")!;
    expect(answer.text).toBe(
      `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n` +
        `  <Error>\n    <Type>Sender</Type>\n    <Code>ValidationError</Code>\n` +
        `    <Message>1 validation error detected: Value &apos;s&apos; at &apos;roleSessionName&apos; failed to satisfy constraint: Member must have length greater than or equal to 2</Message>\n` +
        `  </Error>\n  <RequestId>${requestId}</RequestId>\n</ErrorResponse>\n`,
    );
  });

  it("answers an action STS does not have with InvalidAction and counts no operation", async () => {
    const answer = await rawSts("Action=GetSessionToken&Version=2011-06-15");
    expect(answer.status).toBe(400);
    expect(answer.text).toContain("<Code>InvalidAction</Code>");
    const stats = await h.dev.stats();
    expect(stats.calls).toMatchObject({ AssumeRole: 0, GetCallerIdentity: 0 });
    expect(stats.errors).toEqual({ InvalidAction: 1 });
  });
});

describe("stats and faults", () => {
  it("counts AssumeRole and GetCallerIdentity under calls, and their errors under their codes", async () => {
    await sts.base.send(new GetCallerIdentityCommand({}));
    await sts.base.send(new GetCallerIdentityCommand({}));
    await rejectionOf(sts.base.send(new AssumeRoleCommand({ RoleArn: "arn:aws:iam::123456789012:role/Unknown", RoleSessionName: "x1" })));
    expect(await h.dev.stats()).toEqual({
      calls: { CreateTokenWithIAM: 0, CreateToken: 0, RegisterClient: 0, StartDeviceAuthorization: 0, AssumeRole: 1, GetCallerIdentity: 2 },
      errors: { AccessDenied: 1 },
    });
  });

  it("injects an STS error into AssumeRole only, and a 500 asked for every operation as STS's InternalFailure", async () => {
    await h.dev.addFault({ operation: "AssumeRole", exception: "RegionDisabledException", count: 1 });
    const disabled = await rejectionOf(sts.base.send(new AssumeRoleCommand({ RoleArn: PLAIN_ROLE, RoleSessionName: "f1" })));
    expect(disabled).toMatchObject({ name: "RegionDisabledException", $fault: "client", $metadata: { httpStatusCode: 403 } });
    expect((await sts.base.send(new GetCallerIdentityCommand({}))).Arn).toBe(DEFAULT_IAM_USER_ARN);

    await h.dev.addFault({ exception: "InternalServerException", count: 1 });
    const failure = await rejectionOf(sts.base.send(new GetCallerIdentityCommand({})));
    expect(failure).toBeInstanceOf(STSServiceException);
    expect(failure).toMatchObject({ name: "InternalFailure", $fault: "server", $metadata: { httpStatusCode: 500 } });
  });

  it("refuses a fault naming an error the operation's service does not have", async () => {
    const answer = await h.dev.raw("POST", "/_emulator/faults", { operation: "AssumeRole", exception: "InvalidGrantException" });
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: "invalid_request", error_description: "exception: AssumeRole has no error named InvalidGrantException" });
  });
});
