import type { UpstreamConfig } from "../config/config.types.js";

export interface BannerFacts {
  version: string;
  /** The GraphQL endpoint URL. */
  url: string;
  mode: UpstreamConfig["mode"];
  region: string;
  upstreamLabel: string;
  /** A JWT the embedded emulator's issuer just minted, for the ready-to-run example; absent outside embedded mode. */
  exampleAssertion?: string;
  /** SESSION_MODE=cookie: the example signs in with a cookie jar and the CSRF header. Default off. */
  sessionMode?: "off" | "cookie";
}

const EXAMPLE_QUERY =
  "mutation Exchange($input: CreateTokenWithIAMInput!) { createTokenWithIAM(input: $input) { accessToken expiresAt isAwsToken canRefresh idTokenClaims { subject } } }";

/**
 * The human start-up banner: where the gateway listens, what it talks to, and a curl command
 * that works as printed (a JWT_BEARER exchange with a freshly minted assertion in embedded mode,
 * a `{ gateway { … } }` query otherwise). Plain text for people; machines read the "gateway ready" log line.
 */
export function formatStartupBanner(facts: BannerFacts): string {
  const healthUrl = new URL("/healthz", facts.url).toString();
  const lines = [
    "",
    `idc-token-gateway ${facts.version} is ready`,
    `  GraphQL:   ${facts.url}`,
    `  Health:    ${healthUrl}`,
    `  Mode:      ${facts.mode} (${facts.upstreamLabel}, region ${facts.region})`,
    "",
  ];
  if (facts.exampleAssertion !== undefined && facts.sessionMode === "cookie") {
    const body = { query: EXAMPLE_QUERY, variables: { input: { grantType: "JWT_BEARER", assertion: facts.exampleAssertion, scope: ["openid"] } } };
    lines.push("Session mode (SESSION_MODE=cookie): sign in with a JWT the embedded emulator just minted; the tokens stay on the gateway, curl keeps the session cookie in /tmp/idc-session-jar:", "");
    lines.push(...curlCommand(facts.url, body, ["-c /tmp/idc-session-jar -b /tmp/idc-session-jar", "-H 'x-idc-csrf: 1'"]));
    lines.push("", "then ask who is signed in (README: Session mode):", "");
    lines.push(...curlCommand(facts.url, { query: "{ session { authenticated subject expiresAt } }" }, ["-b /tmp/idc-session-jar", "-H 'x-idc-csrf: 1'"]));
  } else if (facts.exampleAssertion !== undefined) {
    const body = { query: EXAMPLE_QUERY, variables: { input: { grantType: "JWT_BEARER", assertion: facts.exampleAssertion } } };
    lines.push("Try a JWT bearer exchange (the assertion was just minted by the embedded emulator's trusted issuer; it is valid for an hour):", "");
    lines.push(...curlCommand(facts.url, body));
  } else {
    lines.push("Try it:", "");
    lines.push(...curlCommand(facts.url, { query: "{ gateway { version upstreamMode region supportedGrantTypes defaultClientId } }" }));
  }
  lines.push("");
  return lines.join("\n");
}

/** A curl command to paste into bash: the body is single-quoted, so single quotes inside it are escaped. */
function curlCommand(url: string, body: unknown, options: string[] = []): string[] {
  const json = JSON.stringify(body).replaceAll("'", "'\\''");
  return [`curl -s ${url} \\`, ...options.map((option) => `  ${option} \\`), `  -H 'content-type: application/json' \\`, `  --data '${json}'`];
}
