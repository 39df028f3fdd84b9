/**
 * The gateway variables that point it at an emulator started by the test (endpoint mode, the
 * emulator's region and the IAM credentials it accepts), for `startGateway({ env })`.
 */
export function emulatorUpstreamEnv(emulator: { url: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } }): Record<string, string> {
  return {
    SSO_OIDC_ENDPOINT: emulator.url,
    AWS_REGION: emulator.region,
    AWS_ACCESS_KEY_ID: emulator.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: emulator.credentials.secretAccessKey,
  };
}
