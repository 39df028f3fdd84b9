/**
 * Public clients as the AWS CLI v2 registers them (RegisterClient with the authorization-code
 * grant, a port-less loopback redirect URI and the start URL as issuer), for the emulator's
 * CreateToken tests.
 */
import { RegisterClientCommand, type RegisterClientCommandInput, type SSOOIDCClient } from "@aws-sdk/client-sso-oidc";

export const START_URL = "https://d-9067aaaabb.awsapps.com/start";
/** What the CLI registers: its callback port is only known once it listens. */
export const CLI_REDIRECT_URI = "http://127.0.0.1/oauth/callback";
/** The CLI's callback at the port it listens on (nothing has to listen for these tests). */
export const callbackAt = (port: number): string => `http://127.0.0.1:${port}/oauth/callback`;

export interface PublicClient {
  clientId: string;
  clientSecret: string;
}

/** RegisterClient with the CLI v2's authorization-code parameters, overridable. */
export async function registerCodeClient(client: SSOOIDCClient, overrides: Partial<RegisterClientCommandInput> = {}): Promise<PublicClient> {
  const out = await client.send(
    new RegisterClientCommand({
      clientName: "botocore-client-test",
      clientType: "public",
      grantTypes: ["authorization_code", "refresh_token"],
      redirectUris: [CLI_REDIRECT_URI],
      issuerUrl: START_URL,
      scopes: ["sso:account:access"],
      ...overrides,
    }),
  );
  return { clientId: out.clientId!, clientSecret: out.clientSecret! };
}
