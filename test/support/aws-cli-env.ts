/**
 * The environment the AWS CLI tests run `aws` in: no profile, no config or credentials file, the
 * emulator's region and IAM credentials (overridable, e.g. with a role session's).
 */
import type { TestEmulator } from "./emulator-harness.js";

export function awsCliEnv(h: TestEmulator, credentials: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "/tmp",
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    AWS_DEFAULT_REGION: h.region,
    AWS_ACCESS_KEY_ID: h.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: h.credentials.secretAccessKey,
    ...credentials,
  };
}
