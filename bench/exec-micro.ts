/**
 * `npx tsx bench/exec-micro.ts`: in-process cost of executing the bench's cache-hit exchange
 * (schema → resolver → token service → response cache) with graphql-js and with graphql-jit, beside
 * `{ __typename }`; the upstream is a stub answering once (the rest are cache hits). µs per operation.
 */
import "reflect-metadata";
import { execute, parse } from "graphql";
import { compileQuery, isCompiledQuery } from "graphql-jit";
import { loadConfig } from "../src/config/index.js";
import { createLogger } from "../src/logging/logger.js";
import { buildGatewaySchema } from "../src/schema/build-schema.js";
import { createGatewayStore } from "../src/store/index.js";
import { createTokenService } from "../src/tokens/index.js";
import type { Upstream } from "../src/upstream/index.js";

const RESPONSE_FIELDS = "accessToken tokenType expiresIn refreshToken idToken issuedTokenType scope awsAdditionalDetails { identityContext }";
const doc = parse(`mutation Exchange($assertion: String!) { createTokenWithIAM(input: { grantType: JWT_BEARER, assertion: $assertion }) { ${RESPONSE_FIELDS} } }`);
const typename = parse("{ __typename }");
const response = { accessToken: "a".repeat(900), tokenType: "Bearer", expiresIn: 3600, refreshToken: "r".repeat(600), idToken: "i".repeat(700), issuedTokenType: "urn:ietf:params:oauth:token-type:refresh_token", scope: ["openid", "aws"], awsAdditionalDetails: { identityContext: "x".repeat(200) } };
const upstream = { createTokenWithIAM: async () => response, health: () => ({ state: "closed" }), destroy() {} } as unknown as Upstream;
const config = loadConfig({ NODE_ENV: "production", SSO_OIDC_ENDPOINT: "http://127.0.0.1:1", GATEWAY_SECRET: "0".repeat(64), RATE_LIMIT_APP_PER_SECOND: "0" });
const logger = createLogger({ level: "info" });
const store = createGatewayStore({ redisUrl: undefined, logger });
const tokenService = createTokenService({ config, upstream, logger, store });
const schema = await buildGatewaySchema();
// A well-formed JWT of a typical IdP assertion's size (~900 characters): the gateway's pre-check decodes it.
const jwtPart = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const vars = { assertion: `${jwtPart({ alg: "RS256", kid: "bench" })}.${jwtPart({ iss: "https://idp.example", sub: "bench", aud: "gateway", exp: 4_102_444_800, pad: "p".repeat(300) })}.${"s".repeat(342)}` };
const compiled = compileQuery(schema, doc, "Exchange");
if (!isCompiledQuery(compiled)) throw new Error("graphql-jit could not compile the exchange");
const contextValue = () => ({ tokens: tokenService.forRequest(), config, logger, requestId: "r" });

async function time(name: string, fn: () => unknown): Promise<void> {
  for (let i = 0; i < 20_000; i++) await fn();
  const n = 100_000;
  const startedAt = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn();
  process.stdout.write(`${name.padEnd(28)} ${(Number(process.hrtime.bigint() - startedAt) / n / 1000).toFixed(2)} µs\n`);
}
const probe = (await compiled.query(undefined, contextValue(), vars)) as { errors?: unknown };
if (probe.errors) throw new Error(JSON.stringify(probe.errors));
for (let round = 0; round < 2; round++) {
  await time("exchange, graphql-js", () => execute({ schema, document: doc, contextValue: contextValue(), variableValues: vars, operationName: "Exchange" }));
  await time("exchange, graphql-jit", () => compiled.query(undefined, contextValue(), vars));
  await time("{ __typename }, graphql-js", () => execute({ schema, document: typename, contextValue: contextValue() }));
  const tokens = tokenService.forRequest();
  await time("token service only", () => tokenService.forRequest().createToken({ grantType: "JWT_BEARER", assertion: vars.assertion }));
  void tokens;
}
await store.close();
