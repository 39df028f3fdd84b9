import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { hostCannotBeRebound } from "../../../src/emulator/http/rebinding.js";
import { isLoopbackCaller } from "../../../src/server/explorer/loopback-caller.js";

/**
 * The Host headers a DNS-rebinding page cannot send (test/browser/dns-rebinding.test.ts shows the attack in
 * Chromium): the emulator's developer API and the explorer's test credentials answer a browser only at these.
 * The gateway's check (explorer) and the emulator's own copy (it imports no gateway code) agree on every one.
 */
const SAFE = ["localhost", "localhost:4001", "LOCALHOST:1", "dev.localhost:4000", "127.0.0.1", "127.0.0.1:4000", "[::1]:4000", "[::1]", "10.1.2.3:4001"];
const REBINDABLE = ["rebound.test:4000", "localhost.evil.test", "evil.test", "localhost:4001/x", "a@localhost", "localhost:4001 ", "", "[::1", "localhost:123456", "localhost.:4000"];

const loopbackRequestTo = (host: string | undefined) =>
  ({ socket: { remoteAddress: "127.0.0.1" }, headers: host === undefined ? {} : { host } }) as unknown as IncomingMessage;

describe("names DNS cannot rebind", () => {
  it("the emulator: localhost, *.localhost and addresses, with or without a port", () => {
    expect(SAFE.filter((host) => !hostCannotBeRebound(host))).toEqual([]);
    expect(REBINDABLE.filter((host) => hostCannotBeRebound(host))).toEqual([]);
    expect(hostCannotBeRebound(undefined)).toBe(false);
  });

  it("the explorer: a loopback caller counts only when it addressed one of them", () => {
    expect(SAFE.filter((host) => !isLoopbackCaller(loopbackRequestTo(host)))).toEqual([]);
    expect(REBINDABLE.filter((host) => isLoopbackCaller(loopbackRequestTo(host)))).toEqual([]);
    expect(isLoopbackCaller(loopbackRequestTo(undefined))).toBe(false);
  });
});
