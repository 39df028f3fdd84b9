import { EventEmitter } from "node:events";
import { createServer } from "node:http";
import type { Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { callerNetworks } from "../../../src/server/caller-networks.js";
import { applyConnectionLimits } from "../../../src/server/connection-limits.js";
import { isLoopbackAddress } from "../../../src/server/explorer/loopback-caller.js";

/** Opens a stand-in socket on `server`: the 'connection' event's side of a socket (its peer address, close, and destroy). */
function connectTo(server: ReturnType<typeof createServer>) {
  return (remoteAddress: string) => {
    const socket = Object.assign(new EventEmitter(), { remoteAddress, destroyed: false, destroy() { this.destroyed = true; return this; } });
    server.emit("connection", socket as unknown as Socket);
    return socket;
  };
}

describe("applyConnectionLimits", () => {
  it("sets node's caps and timeouts: headers and keep-alive from HEADERS_TIMEOUT_MS, the request timeout above them", () => {
    const server = createServer();
    applyConnectionLimits(server, { maxConnections: 900, maxConnectionsPerAddress: 64, headersTimeoutMs: 5000 }, false);
    expect([server.maxConnections, server.headersTimeout, server.keepAliveTimeout, server.requestTimeout]).toEqual([900, 5000, 5000, 15_000]);
  });

  it("enforces the per-address cap unless it is 0 or TRUST_PROXY is a hop count or true", () => {
    const limits = { maxConnections: 10, maxConnectionsPerAddress: 2, headersTimeoutMs: 1000 };
    expect(applyConnectionLimits(createServer(), limits, false).perAddress.enforced).toBe(true);
    expect(applyConnectionLimits(createServer(), limits, ["10.0.0.0/8"]).perAddress.enforced).toBe(true);
    expect(applyConnectionLimits(createServer(), limits, 1).perAddress.enforced).toBe(false);
    expect(applyConnectionLimits(createServer(), limits, true).perAddress.enforced).toBe(false);
    expect(applyConnectionLimits(createServer(), { ...limits, maxConnectionsPerAddress: 0 }, false).perAddress.enforced).toBe(false);
  });

  it("counts IPv6 peers of one /56 (IPV6_CALLER_PREFIX_LENGTH's default) together against the per-address cap, and frees a slot when a socket closes", () => {
    const server = createServer();
    const applied = applyConnectionLimits(server, { maxConnections: 10, maxConnectionsPerAddress: 2, headersTimeoutMs: 1000 }, false);
    const connect = connectTo(server);
    // Three /64s of the /56 2001:db8:1:200::/56, and one of another /56.
    const first = connect("2001:db8:1:200::a");
    const second = connect("2001:db8:1:2ff:ffff::b");
    const third = connect("2001:db8:1:210::c");
    const otherNetwork = connect("2001:db8:1:300::a");
    expect([first.destroyed, second.destroyed, third.destroyed, otherNetwork.destroyed]).toEqual([false, false, true, false]);
    expect(applied.openConnections("2001:db8:1:201::1")).toBe(2);
    first.emit("close");
    expect(connect("2001:db8:1:2aa::d").destroyed).toBe(false);
  });

  it("counts each /64 apart with IPV6_CALLER_PREFIX_LENGTH=64", () => {
    const server = createServer();
    applyConnectionLimits(server, { maxConnections: 10, maxConnectionsPerAddress: 1, headersTimeoutMs: 1000 }, false, 64);
    const connect = connectTo(server);
    expect(["2001:db8:1:200::a", "2001:db8:1:201::a", "2001:db8:1:200::b"].map((address) => connect(address).destroyed)).toEqual([false, false, true]);
  });

  it("holds the callers of one IPv6 /48 together to IPV6_NETWORK_CALLERS times the per-address cap, and frees a network slot when a socket closes", () => {
    const server = createServer();
    const networks = callerNetworks({ callerPrefixLength: 56, networkPrefixLength: 48, callers: 2 });
    const applied = applyConnectionLimits(server, { maxConnections: 100, maxConnectionsPerAddress: 2, headersTimeoutMs: 1000 }, false, 56, networks);
    const connect = connectTo(server);
    // Five /56s of 2001:db8:1::/48, one connection each: four fit (2 × 2), the fifth is closed.
    const sockets = ["2001:db8:1:100::1", "2001:db8:1:200::1", "2001:db8:1:300::1", "2001:db8:1:400::1", "2001:db8:1:500::1"].map(connect);
    expect(sockets.map((socket) => socket.destroyed)).toEqual([false, false, false, false, true]);
    expect(applied.openInNetwork("2001:db8:1:ffff::9")).toBe(4);
    // Another /48 and an IPv4 caller have their own room.
    expect([connect("2001:db8:2:100::1").destroyed, connect("203.0.113.7").destroyed]).toEqual([false, false]);
    expect(applied.openInNetwork("203.0.113.7")).toBe(0);
    sockets[0]!.emit("close");
    expect(connect("2001:db8:1:600::1").destroyed).toBe(false);
    // The network full again, a caller with room under its own cap (1 of 2) is closed too.
    expect([connect("2001:db8:1:200::2").destroyed, applied.openConnections("2001:db8:1:200::2")]).toEqual([true, 1]);
  });

  it("rejects limits that are not whole numbers in range, restating the contract", () => {
    expect(() => applyConnectionLimits(createServer(), { maxConnections: 0, maxConnectionsPerAddress: 1, headersTimeoutMs: 1 }, false))
      .toThrow("applyConnectionLimits: limits must be { maxConnections >= 1, maxConnectionsPerAddress >= 0 (0 = off), headersTimeoutMs >= 1 } integers");
  });
});

describe("isLoopbackAddress", () => {
  it("is true for 127.0.0.1 and ::1 (also IPv4-mapped) only", () => {
    expect(["127.0.0.1", "::1", "::ffff:127.0.0.1"].map(isLoopbackAddress)).toEqual([true, true, true]);
    expect(["127.0.0.2", "10.0.0.1", "::ffff:10.0.0.1", "", undefined].map(isLoopbackAddress)).toEqual([false, false, false, false, false]);
  });
});
