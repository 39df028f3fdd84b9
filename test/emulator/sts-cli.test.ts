/**
 * A second AWS client against the emulator's STS: the AWS CLI (botocore's own query serializer and
 * XML parser) with credentials from the environment, no config file, the region set. It must get
 * the caller identity, assume a role with an Identity Center context, sign with the result, and
 * read an STS error as STS's.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { DEFAULT_IAM_USER_ARN, DEFAULT_ROLE_ARN } from "../../src/emulator/index.js";
import type { TestEmulator } from "../support/emulator-harness.js";
import { identityContextFor, IDENTITY_CENTER_PROVIDER_ARN, startStsEmulator, type StsTestEmulator } from "../support/emulator-sts.js";
import { awsCliEnv } from "../support/aws-cli-env.js";
import { describeNeeding, probeAwsCli } from "../support/test-dependencies.js";

const runFile = promisify(execFile);

interface CliCredentials {
  AWS_ACCESS_KEY_ID: string;
  AWS_SECRET_ACCESS_KEY: string;
  AWS_SESSION_TOKEN?: string;
}

describeNeeding(probeAwsCli(), "the AWS CLI against the emulator's STS", () => {
  let running: StsTestEmulator;
  let h: TestEmulator;
  beforeAll(async () => {
    running = await startStsEmulator();
    h = running.h;
  });
  afterAll(() => running?.stop());

  /** `aws sts …` with only the given credentials: no profile, no config file, the emulator's region. */
  async function aws(args: string[], credentials?: CliCredentials): Promise<unknown> {
    const env = awsCliEnv(h, { ...credentials });
    const { stdout } = await runFile("aws", ["sts", ...args, "--endpoint-url", h.url, "--output", "json"], { env });
    return JSON.parse(stdout);
  }

  it("get-caller-identity with the emulator's IAM credentials names its IAM user", async () => {
    expect(await aws(["get-caller-identity"])).toEqual({ Arn: DEFAULT_IAM_USER_ARN, Account: "123456789012", UserId: expect.stringMatching(/^AIDA[A-Z2-7]{17}$/) });
  });

  it("assume-role --provided-contexts returns credentials the CLI then signs get-caller-identity with", async () => {
    const context = await identityContextFor(h, "dave");
    const contexts = JSON.stringify([{ ProviderArn: IDENTITY_CENTER_PROVIDER_ARN, ContextAssertion: context }]);
    const assumed = (await aws(["assume-role", "--role-arn", DEFAULT_ROLE_ARN, "--role-session-name", "cli-session", "--provided-contexts", contexts])) as {
      Credentials: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string; Expiration: string };
      AssumedRoleUser: { Arn: string; AssumedRoleId: string };
    };
    expect(assumed.AssumedRoleUser).toEqual({
      Arn: "arn:aws:sts::123456789012:assumed-role/IdentityCenterUser/cli-session",
      AssumedRoleId: expect.stringMatching(/^AROA[A-Z2-7]{17}:cli-session$/),
    });
    const { AccessKeyId, SecretAccessKey, SessionToken, Expiration } = assumed.Credentials;
    const session = await h.dev.stsSession(AccessKeyId);
    expect(session.identityCenter).toEqual({ sub: "dave", applicationArn: h.defaultClientId });
    // botocore parsed the timestamp (it prints it back with an explicit UTC offset).
    expect(new Date(Expiration).toISOString()).toBe(session.expiration);

    const identity = await aws(["get-caller-identity"], { AWS_ACCESS_KEY_ID: AccessKeyId, AWS_SECRET_ACCESS_KEY: SecretAccessKey, AWS_SESSION_TOKEN: SessionToken });
    expect(identity).toEqual({
      Arn: "arn:aws:sts::123456789012:assumed-role/IdentityCenterUser/cli-session",
      UserId: assumed.AssumedRoleUser.AssumedRoleId,
      Account: "123456789012",
    });
  });

  /** The CLI's error line for a failing `aws sts …` (botocore validates lengths' minimums, not patterns or maximums). */
  async function awsFailure(args: string[]): Promise<string | undefined> {
    return aws(args).then(
      () => undefined,
      (error: { stderr: string }) => error.stderr.trim(),
    );
  }

  it("assume-role: the service refuses what botocore lets through, as STS does (patterns, maximums, a policy that is not JSON)", async () => {
    const base = ["assume-role", "--role-arn", DEFAULT_ROLE_ARN, "--role-session-name", "cli"];
    expect(await awsFailure([...base, "--source-identity", "alice smith"])).toBe(
      "An error occurred (ValidationError) when calling the AssumeRole operation: 1 validation error detected: Value 'alice smith' at 'sourceIdentity' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
    );
    expect(await awsFailure([...base, "--tags", `Key=${"k".repeat(129)},Value=v`])).toContain(
      "(ValidationError) when calling the AssumeRole operation: 1 validation error detected: Value '",
    );
    expect(await awsFailure([...base, "--source-identity", "alice smith", "--external-id", "my id"])).toBe(
      "An error occurred (ValidationError) when calling the AssumeRole operation: 2 validation errors detected: " +
        "Value 'my id' at 'externalId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*; " +
        "Value 'alice smith' at 'sourceIdentity' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
    );
    expect(await awsFailure([...base, "--policy", "{not json"])).toBe(
      "An error occurred (MalformedPolicyDocument) when calling the AssumeRole operation: The policy is not in the valid JSON format.",
    );
    const assumed = (await aws([...base, "--source-identity", "alice"])) as { SourceIdentity?: string };
    expect(assumed.SourceIdentity).toBe("alice");
  });

  it("aws eks get-token: its presigned GetCallerIdentity URL (a GET, members and signature in the query) answers as STS answers it", async () => {
    const env = { ...awsCliEnv(h), AWS_ENDPOINT_URL_STS: h.url };
    const { stdout } = await runFile("aws", ["eks", "get-token", "--cluster-name", "demo", "--output", "json"], { env });
    const token = (JSON.parse(stdout) as { status: { token: string } }).status.token;
    const url = Buffer.from(token.slice("k8s-aws-v1.".length), "base64url").toString("utf8");
    expect(url.startsWith(`${h.url}/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256`)).toBe(true);
    // As EKS's authenticator calls it: a GET with the header the URL signed.
    const answer = await fetch(url, { headers: { "x-k8s-aws-id": "demo" } });
    const xml = await answer.text();
    expect(answer.status, xml).toBe(200);
    expect(answer.headers.get("content-type")).toBe("text/xml");
    expect(xml).toContain(`<Arn>${DEFAULT_IAM_USER_ARN}</Arn>`);
    // Without the signed header the signature cannot match.
    const unsigned = await fetch(url);
    expect(unsigned.status).toBe(403);
    expect(await unsigned.text()).toContain("<Code>SignatureDoesNotMatch</Code>");
  });

  it("get-caller-identity unsigned, or with an access key STS does not know, fails in STS's own words", async () => {
    expect(await awsFailure(["get-caller-identity", "--no-sign-request"])).toBe(
      "An error occurred (MissingAuthenticationToken) when calling the GetCallerIdentity operation: Request is missing Authentication Token",
    );
    const unknownKey = await aws(["get-caller-identity"], { AWS_ACCESS_KEY_ID: "AKIAUNKNOWNKEY000000", AWS_SECRET_ACCESS_KEY: "x" }).then(
      () => undefined,
      (error: { stderr: string }) => error.stderr.trim(),
    );
    expect(unknownKey).toBe("An error occurred (InvalidClientTokenId) when calling the GetCallerIdentity operation: The security token included in the request is invalid");
  });

  it("reads an STS error answer as STS's: the code and message in its error line, a failing exit status", async () => {
    const failure = await aws(["assume-role", "--role-arn", "arn:aws:iam::123456789012:role/Unknown", "--role-session-name", "cli"]).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    // The status is the CLI's own (255 in v1, 254 in v2); what matters is that it failed.
    expect(failure?.code).not.toBe(0);
    expect(failure?.code).toEqual(expect.any(Number));
    expect(failure?.stderr.trim()).toBe(
      "An error occurred (AccessDenied) when calling the AssumeRole operation: User: arn:aws:iam::123456789012:user/idc-token-gateway is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/Unknown",
    );
  });
});
