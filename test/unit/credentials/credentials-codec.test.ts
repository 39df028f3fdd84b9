import { describe, expect, it } from "vitest";
import { decodeCredentials, encodeCredentials, fingerprintCredentialsRequest } from "../../../src/credentials/credentials-codec.js";
import type { IssuedCredentials } from "../../../src/credentials/index.js";

const SECRET = Buffer.alloc(32, 9);
const CREDENTIALS: IssuedCredentials = {
  accessKeyId: "ASIAEXAMPLEEXAMPLE00", secretAccessKey: "secret", sessionToken: "token", expiration: 1_796_000_000_000,
  roleArn: "arn:aws:iam::123456789012:role/R", assumedRoleArn: "arn:aws:sts::123456789012:assumed-role/R/idcgw-apl-1",
};
const REQUEST = { identityContext: "context", roleArn: "arn:aws:iam::123456789012:role/R", durationSeconds: 3600, clientId: "arn:aws:sso::123456789012:application/ssoins-1/apl-1" };

describe("credentials codec", () => {
  it("round-trips credentials through UTF-8 JSON", () => {
    const bytes = encodeCredentials(CREDENTIALS);
    expect(JSON.parse(bytes.toString("utf8"))).toEqual(CREDENTIALS);
    expect(decodeCredentials(bytes)).toEqual(CREDENTIALS);
  });

  it.each([
    ["null", null],
    ["a string", "credentials"],
    ["no expiration", { ...CREDENTIALS, expiration: undefined }],
    ["a string expiration", { ...CREDENTIALS, expiration: "2026-12-01T00:00:00Z" }],
    ...(["accessKeyId", "secretAccessKey", "sessionToken", "roleArn", "assumedRoleArn"] as const).map((field) => [`no ${field}`, { ...CREDENTIALS, [field]: undefined }] as [string, unknown]),
    ...(["accessKeyId", "secretAccessKey", "sessionToken", "roleArn", "assumedRoleArn"] as const).map((field) => [`a numeric ${field}`, { ...CREDENTIALS, [field]: 1 }] as [string, unknown]),
  ])("refuses a stored value with %s, saying it is malformed (never echoing it)", (_name, value) => {
    expect(() => decodeCredentials(Buffer.from(JSON.stringify(value), "utf8"))).toThrow(new TypeError("stored credentials are malformed"));
  });

  it("fingerprints everything that decides STS's answer, as hex that holds no part of the identity context", () => {
    const base = fingerprintCredentialsRequest(REQUEST, SECRET);
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(fingerprintCredentialsRequest({ ...REQUEST }, SECRET)).toBe(base);
    for (const change of [{ identityContext: "other" }, { roleArn: "arn:aws:iam::123456789012:role/S" }, { durationSeconds: 900 }, { clientId: "arn:aws:sso::123456789012:application/ssoins-1/apl-2" }]) {
      expect(fingerprintCredentialsRequest({ ...REQUEST, ...change }, SECRET)).not.toBe(base);
    }
    expect(fingerprintCredentialsRequest(REQUEST, Buffer.alloc(32, 8))).not.toBe(base);
  });
});
