import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";
import { answersOnOneConnection, chunked } from "./pipelined-wire.js";

/**
 * A review of 4903295/f2051a1: the 411 refusal read request.headers["transfer-encoding"], which Node
 * fills with the first 1,000 header pairs only (maxHeadersCount), while llhttp frames the body from
 * every header. With 1,000 harmless headers first the refusal never fired: a chunked body on /graphql
 * was answered 200, and on a path no route serves each 60 KB body in 1-byte chunks cost ~72 ms of CPU
 * (see chunked-bodies.test.ts). Now every header is seen (still bounded by the 16 KB header size).
 */
let gateway: GatewayProcess;
let port: number;

beforeAll(async () => {
  gateway = await startGateway({ env: { HOST: "127.0.0.1" } });
  port = Number(new URL(gateway.url).port);
});
afterAll(async () => {
  await gateway?.stop();
});

const JUNK = Array.from({ length: 1000 }, (_, i) => `x${i}:a\r\n`).join("");
const BODY = JSON.stringify({ query: "{ __typename }", variables: { pad: "y".repeat(60_000) } });
const request = (path: string) => `POST ${path} HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n${JUNK}Transfer-Encoding: chunked\r\n\r\n${chunked(BODY, 1)}`;

describe("chunked bodies behind 1,000 headers", () => {
  for (const path of ["/graphql", "/nope"]) {
    it(`POST ${path}: refused 411, and none of the body nor the request pipelined behind it parsed`, async () => {
      const { statuses, closedByGateway } = await answersOnOneConnection(port, request(path).repeat(3));
      expect(statuses).toEqual(["411"]);
      expect(closedByGateway).toBe(true);
    }, 60_000);
  }
});
