/**
 * `npx tsx bench/sdk-micro.ts [middlewareName …]`: the AWS SDK's own CPU per CreateTokenWithIAM,
 * network excluded (a canned HTTP handler answers), for the client configurations the gateway
 * chose between: SDK defaults; `cacheMiddleware`; that minus the named middlewares; that plus one
 * SigV4 signer for the client's life; and `sendOptions`: one signer, each call sent with its own
 * `{ abortSignal, requestTimeout }` (what src/upstream/create-upstream.ts does: options make the SDK
 * resolve its middleware stack per call, `cacheMiddleware` or not). Min of 6 rounds.
 */
import { CreateTokenWithIAMCommand, SSOOIDCClient } from "@aws-sdk/client-sso-oidc";
import { HttpResponse } from "@smithy/protocol-http";
import { Readable } from "node:stream";
import { SignatureV4 } from "@smithy/signature-v4";
import { Hash } from "@smithy/hash-node";
const body = JSON.stringify({ accessToken: "a".repeat(900), tokenType: "Bearer", expiresIn: 3600, refreshToken: "r".repeat(600), idToken: "i".repeat(700), issuedTokenType: "urn:ietf:params:oauth:token-type:refresh_token", scope: ["openid"], awsAdditionalDetails: { identityContext: "x".repeat(200) } });
const handler = {
  handle: async () => ({ response: new HttpResponse({ statusCode: 200, headers: { "content-type": "application/json", "x-amzn-requestid": "abc" }, body: Readable.from([Buffer.from(body)]) }) }),
  updateHttpClientConfig() {}, httpHandlerConfigs: () => ({}), destroy() {},
};
const creds = { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };
function client(extra: object) { return new SSOOIDCClient({ region: "us-east-1", endpoint: "http://127.0.0.1:1", credentials: creds, requestHandler: handler as any, ...extra }); }
const variants: Record<string, SSOOIDCClient> = { default: client({}), cached: client({ cacheMiddleware: true }) };
const stripped = client({ cacheMiddleware: true });
for (const name of process.argv.slice(2)) stripped.middlewareStack.remove(name);
variants.stripped = stripped;
let sv4: SignatureV4 | undefined;
const withSigner: SSOOIDCClient = client({ cacheMiddleware: true, signer: async () => (sv4 ??= new SignatureV4({ credentials: withSigner.config.credentials as any, region: "us-east-1", service: "sso-oauth", sha256: Hash.bind(null, "sha256") as any, uriEscapePath: true })) });
variants.signer = withSigner;
let sv4Options: SignatureV4 | undefined;
const withOptions: SSOOIDCClient = client({ signer: async () => (sv4Options ??= new SignatureV4({ credentials: withOptions.config.credentials as any, region: "us-east-1", service: "sso-oauth", sha256: Hash.bind(null, "sha256") as any, uriEscapePath: true })) });
variants.sendOptions = withOptions;
const a = "eyJ".repeat(300);
async function time(name: string, c: SSOOIDCClient) {
  const command = () => new CreateTokenWithIAMCommand({ clientId: "arn:x", grantType: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion: a });
  const send = name === "sendOptions"
    ? () => c.send(command(), { abortSignal: new AbortController().signal, requestTimeout: 5000 })
    : () => c.send(command());
  for (let i = 0; i < 3000; i++) await send();
  const n = 4000; let best = Infinity;
  for (let r = 0; r < 6; r++) { const t = process.hrtime.bigint(); for (let i = 0; i < n; i++) await send(); best = Math.min(best, Number(process.hrtime.bigint() - t) / n / 1000); }
  console.log(name, best.toFixed(1), "µs (min)");
}
for (let r = 0; r < 1; r++) for (const [n, c] of Object.entries(variants)) await time(n, c);
