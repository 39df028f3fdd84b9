import { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { byteBudget, lingerThenClose, type ByteBudget } from "../../../src/server/lingering-close.js";
import { parserCallback } from "../../../src/server/node-http-parser.js";

/**
 * The lingering close of a refused connection (src/server/lingering-close.ts) and its bounds, on a socket double and
 * a fake clock: which connections close, after how many bytes or how much (fake) time, and what the server's byte
 * budget lets through. The same bounds over real sockets: test/unit/server/http-framing.test.ts.
 */
const MiB = 1024 * 1024;
/** The slot Node's HTTPParser names kOnExecute (any number: the double's constructor names it). */
const ON_EXECUTE = 4;

class ParserDouble {
  static kOnExecute = ON_EXECUTE;
  [key: number]: unknown;
  socket: Socket | null = null;
}

/** What lingerThenClose reads of a socket, and what it did to it. */
class SocketDouble extends EventEmitter {
  bytesRead = 0;
  destroyed = false;
  writableFinished = true;
  ends = 0;
  resumes = 0;
  _paused: boolean | undefined = undefined;
  _handle: { reading?: boolean; readStart?: () => number } | null = null;
  parser: ParserDouble | null = null;
  end() { this.ends += 1; }
  resume() { this.resumes += 1; }
  destroy() {
    if (this.destroyed) return;
    this.destroyed = true;
    this.emit("close");
  }
}

const unlimited: ByteBudget = { spend: () => true };
const asSocket = (double: SocketDouble) => double as unknown as Socket;

/** A socket double that had read `bytesRead` when its connection was refused, lingering now. */
function lingering(bytesRead = 0, budget = unlimited): SocketDouble {
  const socket = new SocketDouble();
  socket.bytesRead = bytesRead;
  lingerThenClose(asSocket(socket), budget);
  return socket;
}

/** `bytes` more read, then one look of the poll (50 ms on the fake clock): whether the connection is closed. */
function closedAfter(socket: SocketDouble, bytes: number): boolean {
  socket.bytesRead += bytes;
  vi.advanceTimersByTime(50);
  return socket.destroyed;
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date", "setInterval", "clearInterval"], now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("byteBudget", () => {
  it("holds perSecond bytes at once, refills at perSecond, never past perSecond", () => {
    const budget = byteBudget(1_000);
    expect(budget.spend(1_000)).toBe(true);
    expect(budget.spend(1)).toBe(false);
    vi.advanceTimersByTime(500);
    // 499 left: -1 owed, then half a second of 1,000 a second.
    expect(budget.spend(499)).toBe(true);
    expect(budget.spend(1)).toBe(false);
    vi.advanceTimersByTime(60_000);
    // A minute unused holds one second's worth, not sixty.
    expect(budget.spend(1_000)).toBe(true);
    expect(budget.spend(1)).toBe(false);
  });

  it("answers whether bytes fit: spending nothing fits while none is owed", () => {
    const budget = byteBudget(100);
    expect(budget.spend(0)).toBe(true);
    expect(budget.spend(100)).toBe(true);
    expect(budget.spend(0)).toBe(true);
    expect(budget.spend(1)).toBe(false);
    expect(budget.spend(0)).toBe(false);
  });
});

describe("lingerThenClose", () => {
  it("with the server's budget spent, ends the connection and destroys it once its answer is written, reading nothing", () => {
    const socket = new SocketDouble();
    socket.writableFinished = false;
    lingerThenClose(asSocket(socket), { spend: () => false });
    expect(socket.ends).toBe(1);
    expect(socket.destroyed).toBe(false);
    expect(socket.resumes).toBe(0);
    socket.emit("finish");
    expect(socket.destroyed).toBe(true);
    expect(vi.getTimerCount()).toBe(0);

    const written = new SocketDouble();
    lingerThenClose(asSocket(written), { spend: () => false });
    expect(written.destroyed).toBe(true);
    expect(written.resumes).toBe(0);
  });

  it("lingers once per connection, and not at all for a connection already destroyed", () => {
    const socket = new SocketDouble();
    const spend = vi.fn(() => true);
    lingerThenClose(asSocket(socket), { spend });
    lingerThenClose(asSocket(socket), { spend });
    expect(socket.ends).toBe(1);
    expect(spend).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(1);

    const destroyed = new SocketDouble();
    destroyed.destroyed = true;
    lingerThenClose(asSocket(destroyed), { spend });
    expect(destroyed.ends).toBe(0);
    expect(spend).toHaveBeenCalledTimes(1);
  });

  it("half-closes, reads on, and closes after a second without a byte (on the fake clock), the poll then stopped", () => {
    const socket = new SocketDouble();
    lingerThenClose(asSocket(socket), unlimited);
    expect(socket.ends).toBe(1);
    expect(socket.resumes).toBe(1);
    expect(socket.destroyed).toBe(false);
    vi.advanceTimersByTime(950);
    expect(socket.destroyed).toBe(false);
    vi.advanceTimersByTime(50);
    expect(socket.destroyed).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("a connection whose bytes keep coming is closed after 3 s (on the fake clock), not before", () => {
    const socket = lingering();
    const closedAt: boolean[] = [];
    for (let elapsed = 50; elapsed <= 3_000; elapsed += 50) closedAt.push(closedAfter(socket, 10));
    expect(closedAt.indexOf(true)).toBe(closedAt.length - 1);
  });

  it("closes when the client ends its side", () => {
    const socket = lingering();
    socket.emit("end");
    expect(socket.destroyed).toBe(true);
  });

  it("reads at most 16 MiB after the refusal, counted from the bytes read before it", () => {
    const socket = lingering(5 * MiB);
    expect(closedAfter(socket, 16 * MiB)).toBe(false);
    expect(closedAfter(socket, 1)).toBe(true);
  });

  it("spends each byte read once from the server's budget, and closes when the budget refuses them", () => {
    const spent: number[] = [];
    let left = 300;
    const socket = lingering(1_000, { spend: (bytes) => { spent.push(bytes); left -= bytes; return left >= 0; } });
    expect([100, 0, 200, 1].map((bytes) => closedAfter(socket, bytes))).toEqual([false, false, false, true]);
    expect(spent).toEqual([0, 100, 0, 200, 1]);
  });

  it("does not resume a connection Node holds paused, nor restart its reading", () => {
    const socket = new SocketDouble();
    socket._paused = true;
    const readStart = vi.fn(() => 0);
    socket._handle = { reading: false, readStart };
    lingerThenClose(asSocket(socket), unlimited);
    expect(socket.resumes).toBe(0);
    expect(readStart).not.toHaveBeenCalled();
  });

  it("restarts a handle Node stopped reading, and closes the connection if it cannot", () => {
    const stopped = new SocketDouble();
    const readStart = vi.fn(() => 0);
    stopped._handle = { reading: false, readStart };
    stopped._paused = false;
    lingerThenClose(asSocket(stopped), unlimited);
    expect(readStart).toHaveBeenCalledTimes(1);
    expect(stopped._handle.reading).toBe(true);
    expect(stopped.destroyed).toBe(false);

    const failing = new SocketDouble();
    failing._handle = { reading: false, readStart: () => -1 };
    lingerThenClose(asSocket(failing), unlimited);
    expect(failing.destroyed).toBe(true);

    const reading = new SocketDouble();
    const notCalled = vi.fn(() => 0);
    reading._handle = { reading: true, readStart: notCalled };
    lingerThenClose(asSocket(reading), unlimited);
    expect(notCalled).not.toHaveBeenCalled();

    const noReadStart = new SocketDouble();
    noReadStart._handle = { reading: false };
    lingerThenClose(asSocket(noReadStart), unlimited);
    expect(noReadStart._handle.reading).toBe(false);
    expect(noReadStart.destroyed).toBe(false);
  });

  it("bounds the bytes after each read the parser is given: within them the parser runs, past them it does not and the connection closes", () => {
    const socket = new SocketDouble();
    const parser = new ParserDouble();
    const original = vi.fn(function (this: unknown, ...args: unknown[]) { return ["parsed", this, ...args]; });
    parser[ON_EXECUTE] = original;
    socket.parser = parser;
    lingerThenClose(asSocket(socket), unlimited);
    const executed = parser[ON_EXECUTE] as (...args: unknown[]) => unknown;
    expect(executed).not.toBe(original);
    socket.bytesRead += MiB;
    expect(executed.call(parser, 1, 2)).toEqual(["parsed", parser, 1, 2]);
    expect(socket.destroyed).toBe(false);
    socket.bytesRead += 16 * MiB;
    expect(executed.call(parser, 3)).toBeUndefined();
    expect(original).toHaveBeenCalledTimes(1);
    expect(socket.destroyed).toBe(true);
  });
});

describe("parserCallback", () => {
  it("finds a socket's parser callback by the slot its class names, else nothing", () => {
    const socket = new SocketDouble();
    expect(parserCallback(asSocket(socket), "kOnExecute")).toBeUndefined();
    const parser = new ParserDouble();
    socket.parser = parser;
    expect(parserCallback(asSocket(socket), "kOnExecute")).toBeUndefined(); // no function in the slot
    const original = () => "parsed";
    parser[ON_EXECUTE] = original;
    expect(parserCallback(asSocket(socket), "kOnExecute")).toEqual({ parser, key: ON_EXECUTE, original });
    expect(parserCallback(asSocket(socket), "kOnHeadersComplete")).toBeUndefined(); // the class names no such slot
    const unnamed = new SocketDouble();
    unnamed.parser = Object.assign(Object.create(null) as ParserDouble, { [ON_EXECUTE]: original });
    expect(parserCallback(asSocket(unnamed), "kOnExecute")).toBeUndefined();
  });
});

describe("lingerThenClose, idle after bytes came", () => {
  it("closes a second after the last byte, not a second after the refusal", () => {
    const socket = lingering();
    expect(closedAfter(socket, 10)).toBe(false); // 50 ms: a byte came
    const closedAt: boolean[] = [];
    for (let elapsed = 100; elapsed <= 1_050; elapsed += 50) closedAt.push(closedAfter(socket, 0));
    expect(closedAt.indexOf(true)).toBe(closedAt.length - 1);
  });
});
