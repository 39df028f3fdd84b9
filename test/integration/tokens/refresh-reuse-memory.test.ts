import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { graphql } from "../../support/gateway-client.js";
import { createPkcePair } from "../../support/gateway-emulator-api.js";
import { ACCESS_TOKEN_TYPE, REDIRECT_URI, REFRESH_TOKEN_TYPE } from "../../support/gateway-operations.js";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";
import { startTestEmulator, type TestEmulator } from "../../support/emulator-harness.js";
import { jwtBearer, refresh, replicaEnvironment, type IssuedTokens } from "../scale/scale-support.js";
import { outcomeOf } from "./token-state-support.js";

/**
 * Reuse detection in one gateway process on the memory store (no REDIS_URL), and the setting that
 * turns it off: with REFRESH_REUSE_DETECTION=false the grace window serves a rotated token's
 * successor to anyone within the window, as before.
 */
let emulator: TestEmulator;
let guarded: GatewayProcess | undefined;
let unguarded: GatewayProcess | undefined;
/** A memory store of 16 entries: a few exchanges fill it, so a revocation must not live in it. */
let small: GatewayProcess | undefined;
let subjects = 0;

const calls = async (): Promise<number> => (await emulator.dev.stats()).calls.CreateTokenWithIAM;

beforeAll(async () => {
  emulator = await startTestEmulator();
  const env = { ...replicaEnvironment({ emulator, redisUrl: "", keyPrefix: "" }, "memory-mode-gateway-secret-0123456789abcdef"), REDIS_URL: undefined, REDIS_KEY_PREFIX: undefined };
  [guarded, unguarded, small] = await Promise.all([
    startGateway({ env }),
    startGateway({ env: { ...env, REFRESH_REUSE_DETECTION: "false" } }),
    startGateway({ env: { ...env, CACHE_MAX_ENTRIES: "16", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0" } }),
  ]);
}, 30_000);

afterAll(async () => {
  await Promise.all([guarded?.stop(), unguarded?.stop(), small?.stop()]);
  await emulator.stop();
});

async function rotateTwice(gateway: GatewayProcess): Promise<{ root: string; first: IssuedTokens; second: IssuedTokens }> {
  const { assertion } = await emulator.dev.assertion({ sub: `memory-${(subjects += 1)}` });
  const root = (await jwtBearer(gateway, assertion)).body.data!.createTokenWithIAM.refreshToken!;
  const first = (await refresh(gateway, root)).body.data!.refreshToken;
  expect((await refresh(gateway, root)).body.data?.refreshToken).toEqual(first);
  const second = (await refresh(gateway, first.refreshToken!)).body.data!.refreshToken;
  return { root, first, second };
}

const TOKEN_EXCHANGE = `mutation Exchange($input: CreateTokenWithIAMInput!) { createTokenWithIAM(input: $input) { accessToken refreshToken } }`;

function tokenExchange(gateway: GatewayProcess, subjectToken: string) {
  return graphql<{ createTokenWithIAM: { accessToken: string; refreshToken: string | null } }>(gateway.url, TOKEN_EXCHANGE, {
    input: { grantType: "TOKEN_EXCHANGE", subjectToken, subjectTokenType: ACCESS_TOKEN_TYPE, requestedTokenType: REFRESH_TOKEN_TYPE },
  });
}

describe("refresh-token reuse detection in one process (memory store)", () => {
  it("serves the successor to a replay while it is unused, then refuses the rotated token and its newest descendant with no upstream call", async () => {
    const { root, second } = await rotateTwice(guarded!);
    const before = await calls();
    expect(outcomeOf(await refresh(guarded!, root))).toBe("INVALID_GRANT");
    expect(outcomeOf(await refresh(guarded!, second.refreshToken!))).toBe("INVALID_GRANT");
    expect((await calls()) - before).toBe(0);
  });

  it("keeps a revoked family refused after 40 other sign-ins churn the response cache and the memory store (CACHE_MAX_ENTRIES=16)", async () => {
    const { root, second } = await rotateTwice(small!);
    expect(outcomeOf(await refresh(small!, root))).toBe("INVALID_GRANT");
    for (let index = 0; index < 40; index += 1) {
      const { assertion } = await emulator.dev.assertion({ sub: `churn-${index}` });
      expect(outcomeOf(await jwtBearer(small!, assertion))).toBe("ok");
    }
    const before = await calls();
    expect(outcomeOf(await refresh(small!, second.refreshToken!))).toBe("INVALID_GRANT");
    expect((await calls()) - before).toBe(0);
  });

  it("refuses a TOKEN_EXCHANGE of a revoked family's access token with no upstream call, and revokes what an earlier exchange issued from the family", async () => {
    const { assertion } = await emulator.dev.assertion({ sub: `memory-${(subjects += 1)}` });
    const root = (await jwtBearer(guarded!, assertion)).body.data!.createTokenWithIAM.refreshToken!;
    const first = (await refresh(guarded!, root)).body.data!.refreshToken;
    // Before any reuse: the family's access token exchanged into a refresh token of its own (it stays in the family).
    const exchanged = await tokenExchange(guarded!, first.accessToken);
    expect(outcomeOf(exchanged)).toBe("ok");
    const second = (await refresh(guarded!, first.refreshToken!)).body.data!.refreshToken;
    expect(outcomeOf(await refresh(guarded!, root))).toBe("INVALID_GRANT"); // reuse: the family is revoked
    const before = await calls();
    const refused = await tokenExchange(guarded!, second.accessToken);
    expect(outcomeOf(refused)).toBe("INVALID_GRANT");
    expect(refused.body.errors![0]!.extensions!.field).toBe("input.subjectToken");
    expect(outcomeOf(await tokenExchange(guarded!, first.accessToken))).toBe("INVALID_GRANT");
    expect(outcomeOf(await refresh(guarded!, exchanged.body.data!.createTokenWithIAM.refreshToken!))).toBe("INVALID_GRANT");
    expect((await calls()) - before).toBe(0);
  });

  it("the first access token of a family signed in with an authorization code is refused too once the family is revoked", async () => {
    const { codeVerifier, codeChallenge } = createPkcePair();
    const { code } = await emulator.dev.authorize({ redirectUri: REDIRECT_URI, sub: `memory-${(subjects += 1)}`, codeChallenge, codeChallengeMethod: "S256" });
    const signedIn = await graphql<{ createTokenWithIAM: { accessToken: string; refreshToken: string } }>(guarded!.url, TOKEN_EXCHANGE, {
      input: { grantType: "AUTHORIZATION_CODE", code, redirectUri: REDIRECT_URI, codeVerifier },
    });
    const { accessToken, refreshToken: root } = signedIn.body.data!.createTokenWithIAM;
    const first = (await refresh(guarded!, root)).body.data!.refreshToken;
    await refresh(guarded!, first.refreshToken!);
    expect(outcomeOf(await refresh(guarded!, root))).toBe("INVALID_GRANT");
    expect(outcomeOf(await tokenExchange(guarded!, accessToken))).toBe("INVALID_GRANT");
  });

  it("the first access token of a JWT-bearer sign-in is refused too once its family is revoked: it cannot be exchanged into a refresh token outside the family", async () => {
    const { assertion } = await emulator.dev.assertion({ sub: `memory-${(subjects += 1)}` });
    const signedIn = (await jwtBearer(guarded!, assertion)).body.data!.createTokenWithIAM;
    const first = (await refresh(guarded!, signedIn.refreshToken!)).body.data!.refreshToken;
    await refresh(guarded!, first.refreshToken!);
    expect(outcomeOf(await refresh(guarded!, signedIn.refreshToken!))).toBe("INVALID_GRANT"); // reuse: the family is revoked
    const before = await calls();
    const refused = await tokenExchange(guarded!, signedIn.accessToken!);
    expect(outcomeOf(refused)).toBe("INVALID_GRANT");
    expect(refused.body.errors![0]!.extensions!.field).toBe("input.subjectToken");
    expect((await calls()) - before).toBe(0);
  });

  it("a sign-in's refresh token never rotated is refused once its family is revoked through a token exchanged from its access token, with no upstream call", async () => {
    const { assertion } = await emulator.dev.assertion({ sub: `memory-${(subjects += 1)}` });
    const signedIn = (await jwtBearer(guarded!, assertion)).body.data!.createTokenWithIAM;
    // The sign-in's access token exchanged into a refresh token of the family; the root itself is never refreshed.
    const exchanged = (await tokenExchange(guarded!, signedIn.accessToken!)).body.data!.createTokenWithIAM;
    const first = (await refresh(guarded!, exchanged.refreshToken!)).body.data!.refreshToken;
    await refresh(guarded!, first.refreshToken!);
    expect(outcomeOf(await refresh(guarded!, exchanged.refreshToken!))).toBe("INVALID_GRANT"); // reuse: the family is revoked
    const before = await calls();
    const root = await refresh(guarded!, signedIn.refreshToken!);
    expect(outcomeOf(root)).toBe("INVALID_GRANT");
    expect(root.body.data?.refreshToken?.accessToken).toBeUndefined();
    expect((await calls()) - before).toBe(0);
  });

  it("a TOKEN_EXCHANGE of a live family's access token goes to AWS as before, and its answer is cached as before", async () => {
    const { first } = await rotateTwice(guarded!);
    const before = await calls();
    const exchanged = await tokenExchange(guarded!, first.accessToken);
    expect(outcomeOf(exchanged)).toBe("ok");
    expect((await tokenExchange(guarded!, first.accessToken)).body.data).toEqual(exchanged.body.data);
    expect((await calls()) - before).toBe(1);
  });

  it("with REFRESH_REUSE_DETECTION=false, keeps serving a rotated token's successor within the window even after the successor was used", async () => {
    const { root, first, second } = await rotateTwice(unguarded!);
    expect((await refresh(unguarded!, root)).body.data?.refreshToken).toEqual(first);
    expect(outcomeOf(await refresh(unguarded!, second.refreshToken!))).toBe("ok");
  });
});
