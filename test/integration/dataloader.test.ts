import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import { dataOf, graphql } from "../support/gateway-client.js";
import { emulatorApi, type EmulatorApi } from "../support/gateway-emulator-api.js";
import { startGateway, type GatewayProcess } from "../support/gateway-process.js";

/**
 * The per-request DataLoader: identical exchanges inside one operation cost one upstream call.
 * The emulator's stats are the `calls` we assert on, exactly.
 */

let gateway: GatewayProcess;
let emulator: EmulatorApi;

beforeAll(async () => {
  gateway = await startGateway();
  emulator = emulatorApi(gateway.emulatorUrl!);
});
afterAll(async () => {
  await gateway?.stop();
});
beforeEach(async () => {
  await emulator.reset();
});

const THREE_IDENTICAL_EXCHANGES = /* GraphQL */ `
  mutation ($input: CreateTokenWithIAMInput!) {
    first: createTokenWithIAM(input: $input) { accessToken refreshToken expiresAt }
    second: createTokenWithIAM(input: $input) { accessToken refreshToken expiresAt }
    third: createTokenWithIAM(input: $input) { accessToken refreshToken expiresAt }
  }
`;

const TWO_DIFFERENT_EXCHANGES = /* GraphQL */ `
  mutation ($alice: CreateTokenWithIAMInput!, $bob: CreateTokenWithIAMInput!) {
    alice: createTokenWithIAM(input: $alice) { accessToken idTokenClaims { subject } }
    bob: createTokenWithIAM(input: $bob) { accessToken idTokenClaims { subject } }
  }
`;

type Token = { accessToken: string; refreshToken: string; expiresAt: string };

it("answers three aliases of the identical JWT exchange with one CreateTokenWithIAM call and the same token", async () => {
  const assertion = await emulator.mintAssertion({ sub: "alice" });
  const result = await graphql<Record<"first" | "second" | "third", Token>>(gateway.url, THREE_IDENTICAL_EXCHANGES, {
    input: { grantType: "JWT_BEARER", assertion },
  });

  const { first, second, third } = dataOf(result);
  expect(first.accessToken).toMatch(/^aoa/);
  expect(second).toEqual(first);
  expect(third).toEqual(first);
  expect(await emulator.createTokenWithIAMCalls()).toBe(1);
});

it("makes one call per distinct exchange when two aliases carry different assertions", async () => {
  const [aliceAssertion, bobAssertion] = await Promise.all([
    emulator.mintAssertion({ sub: "alice" }),
    emulator.mintAssertion({ sub: "bob" }),
  ]);
  const result = await graphql<Record<"alice" | "bob", { accessToken: string; idTokenClaims: { subject: string } }>>(
    gateway.url,
    TWO_DIFFERENT_EXCHANGES,
    { alice: { grantType: "JWT_BEARER", assertion: aliceAssertion }, bob: { grantType: "JWT_BEARER", assertion: bobAssertion } },
  );

  const { alice, bob } = dataOf(result);
  expect(alice.idTokenClaims.subject).toBe("alice");
  expect(bob.idTokenClaims.subject).toBe("bob");
  expect(alice.accessToken).not.toBe(bob.accessToken);
  expect(await emulator.createTokenWithIAMCalls()).toBe(2);
});
