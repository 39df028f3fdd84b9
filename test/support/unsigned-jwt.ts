/**
 * A well-formed compact JWT (three base64url parts) that nobody signed: it passes the gateway's
 * local pre-check (grant-precheck.ts) and is refused by AWS (the emulator) on its signature.
 * For tests whose fake upstream answers anything, or that need an assertion AWS must judge.
 */
export function unsignedJwt(claims: Record<string, unknown> = {}, header: Record<string, unknown> = { alg: "RS256", typ: "JWT" }): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value), "utf8").toString("base64url");
  return `${part(header)}.${part({ iss: "https://idp.example", sub: "tester", aud: "gateway", exp: Math.floor(Date.now() / 1000) + 3600, ...claims })}.${Buffer.from("not a signature").toString("base64url")}`;
}
