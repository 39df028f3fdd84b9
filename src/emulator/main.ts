/**
 * `npm run emulator`: runs the SSO OIDC emulator alone, configured from EMULATOR_* variables,
 * prints where it listens and how to use it, and stops cleanly on SIGINT/SIGTERM.
 */
import { readEmulatorEnv } from "./emulator-env.js";
import { EmulatorConfigError } from "./emulator-config.js";
import { startEmulator, type RunningEmulator } from "./index.js";
import { describeEmulatorListenFailure } from "./listen-refusal.js";

function banner(emulator: RunningEmulator): string {
  const apps = emulator.config.applications.map((app) => `    ${app.clientId}`).join("\n");
  return [
    `SSO OIDC emulator listening on ${emulator.url} (region ${emulator.region})`,
    `  IAM access key id: ${emulator.credentials.accessKeyId} (secret from EMULATOR_SECRET_ACCESS_KEY or the documented default)`,
    `  default application: ${emulator.defaultClientId}`,
    `  applications:\n${apps}`,
    `  developer API:`,
    `    curl -s -XPOST ${emulator.url}/_emulator/assertions -H 'content-type: application/json' -d '{"sub":"alice"}'`,
    `    curl -s -XPOST ${emulator.url}/_emulator/authorize -H 'content-type: application/json' -d '{"sub":"alice","redirectUri":"https://mywebapp.example/redirect"}'`,
    `    curl -s ${emulator.url}/_emulator/stats`,
    `  sign-in pages for people: ${emulator.url}/authorize (authorization code + PKCE) and ${emulator.url}/device (device flow)`,
    `  aws CLI: AWS_ENDPOINT_URL_SSO_OIDC=${emulator.url} (see docs/emulator.md, "Pointing aws sso login at the emulator")`,
    `  SDK: new SSOOIDCClient({ endpoint: "${emulator.url}", region: "${emulator.region}", credentials: { accessKeyId, secretAccessKey } })`,
    `  STS on the same port (AssumeRole, GetCallerIdentity); roles: ${emulator.config.roles.map((role) => role.arn).join(", ")}`,
  ].join("\n");
}

async function main(): Promise<void> {
  const env = readEmulatorEnv();
  const emulator = await startEmulator(env).catch((error: unknown) => {
    const line = describeEmulatorListenFailure(error, { host: env.host, port: env.port });
    if (line === undefined) throw error;
    console.error(line);
    process.exit(1);
  });
  console.log(banner(emulator));
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal} received, stopping the emulator`);
    emulator.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  if (error instanceof EmulatorConfigError) console.error(error.message);
  else console.error(error);
  process.exit(1);
});
