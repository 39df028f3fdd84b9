/**
 * The identifiers STS hands out, in AWS's formats: `ASIA…` temporary access key ids, `AROA…` role
 * ids and `AIDA…` user ids (stable per ARN, as IAM's unique ids are), and ARNs of assumed roles.
 */
import { createHash, randomBytes } from "node:crypto";

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function base32(bytes: Buffer, length: number): string {
  let out = "";
  for (let i = 0; out.length < length; i++) out += BASE32[bytes[i % bytes.length]! % 32];
  return out;
}

/** `ASIA` + 16 characters, like every temporary access key id. */
export function newTemporaryAccessKeyId(): string {
  return `ASIA${base32(randomBytes(16), 16)}`;
}

export function newSecretAccessKey(): string {
  return randomBytes(30).toString("base64");
}

export function newSessionToken(): string {
  return randomBytes(240).toString("base64");
}

/** IAM's unique id of a principal: a prefix and 17 characters, the same for the same ARN. */
export function uniqueIdOf(prefix: "AROA" | "AIDA", arn: string): string {
  return `${prefix}${base32(createHash("sha256").update(arn).digest(), 17)}`;
}

export interface ParsedIamArn {
  partition: string;
  account: string;
  /** The last path segment: what AWS puts in assumed-role ARNs. */
  name: string;
}

/** `arn:aws:iam::123456789012:role/path/Name` → its partition, account and name. */
export function parseIamArn(arn: string): ParsedIamArn {
  const [, partition = "aws", , , account = "", resource = ""] = arn.split(":");
  return { partition, account, name: resource.slice(resource.lastIndexOf("/") + 1) };
}

export function assumedRoleArn(roleArn: string, sessionName: string): string {
  const { partition, account, name } = parseIamArn(roleArn);
  return `arn:${partition}:sts::${account}:assumed-role/${name}/${sessionName}`;
}
