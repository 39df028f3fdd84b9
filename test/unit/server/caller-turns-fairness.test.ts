import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { callerNetworks } from "../../../src/server/caller-networks.js";
import { createCallerTurns, type TurnTask } from "../../../src/server/caller-turn-scheduler.js";
import { FakeLoop, NET_A } from "./caller-turns-simulation.js";

/**
 * Fairness inside one IPv6 network's turns, on a fake event loop (an attacker's review of the network
 * turns): callers with long lines do not keep a neighbour waiting, neighbours share turns equally, and a
 * network turn goes only to a caller with a body for it.
 */

let loop: FakeLoop;
beforeEach(() => { loop = new FakeLoop(); loop.install(); });
afterEach(() => loop.restore());

const starts: Array<{ key: string; id: string; seg: number }> = [];
const task = (key: string, id: string): TurnTask => ({ size: 1, work: () => { starts.push({ key, id, seg: loop.segment }); }, fail: () => {}, gone: () => false });

describe("createCallerTurns: fairness inside a network", () => {
  it("defaults (4 turns, 4 callers): four hogs with long lines keep a light neighbour waiting at most a few check phases", () => {
    starts.length = 0;
    const turns = createCallerTurns({ maxParsing: 4, maxWaiting: 1024, maxWaitingSize: 1e9, networks: callerNetworks({ callerPrefixLength: 56, networkPrefixLength: 48, callers: 4 }) });
    for (const h of [1, 2, 3, 4]) for (let i = 0; i < 300; i += 1) turns.run(NET_A(h), task(NET_A(h), `h${h}-${i}`));
    let worst = 0;
    for (let round = 0; round < 40; round += 1) {
      const queuedAt = loop.segment;
      const id = `light-${round}`;
      turns.run(NET_A(9), task(NET_A(9), id));
      for (let i = 0; i < 10 && !starts.some((s) => s.id === id); i += 1) loop.check();
      const s = starts.find((x) => x.id === id);
      worst = Math.max(worst, s === undefined ? Infinity : s.seg - queuedAt);
      loop.check();
    }
    // Every window the network starts at most 16 of the hogs' and the neighbour's bodies.
    const bySeg = new Map<number, number>();
    for (const s of starts) bySeg.set(s.seg, (bySeg.get(s.seg) ?? 0) + 1);
    expect(Math.max(...bySeg.values())).toBeLessThanOrEqual(16);
    // A turn is handed at a giveBack check and used at the next one (as before the change): 3 segments, 5 when queued just after the hogs' giveBacks.
    expect(worst).toBeLessThanOrEqual(5);
  });

  it("a neighbour with a line of its own gets about a caller's share (maxParsing per turn) next to hogs", () => {
    starts.length = 0;
    const turns = createCallerTurns({ maxParsing: 4, maxWaiting: 1024, maxWaitingSize: 1e9, networks: callerNetworks({ callerPrefixLength: 56, networkPrefixLength: 48, callers: 4 }) });
    for (const h of [1, 2, 3, 4]) for (let i = 0; i < 400; i += 1) turns.run(NET_A(h), task(NET_A(h), `h${h}-${i}`));
    loop.check(); loop.check();
    for (let i = 0; i < 100; i += 1) turns.run(NET_A(9), task(NET_A(9), `n-${i}`));
    const from = loop.segment;
    for (let i = 0; i < 40; i += 1) loop.check();
    const share = (key: string) => starts.filter((s) => s.key === key && s.seg > from).length;
    const shares = [1, 2, 3, 4, 9].map((n) => share(NET_A(n)));
    // 16 network turns / 5 callers ≈ 3.2 each per turn
    expect(shares).toEqual([64, 64, 64, 64, 64]); // 16 turns every two loop turns, 40 loop turns: 320 / 5
  });

  it("a network turn is not handed to a caller that has fewer bodies waiting than turns already handed to it (over-assignment)", () => {
    starts.length = 0;
    const turns = createCallerTurns({ maxParsing: 3, maxWaiting: 100, maxWaitingSize: 1e9, networks: callerNetworks({ callerPrefixLength: 56, networkPrefixLength: 48, callers: 1 }) });
    for (let i = 0; i < 20; i += 1) turns.run(NET_A(1), task(NET_A(1), `h-${i}`)); // hog: 3 run, 17 wait
    turns.run(NET_A(2), task(NET_A(2), "n-0"));
    turns.run(NET_A(2), task(NET_A(2), "n-1")); // neighbour: 2 waiting for a network turn
    loop.check(); // the hog's three turns come back
    loop.check(); // the handed turns are used
    const window = starts.filter((s) => s.seg === loop.segment - 1).map((s) => s.id);
    // 3 network turns, 2 neighbour bodies and 17 hog bodies waiting: all three turns should start a body.
    expect(window).toHaveLength(3);
  });

  it("a refused body of a brand-new caller (its network's line full) leaves nothing behind", () => {
    starts.length = 0;
    const turns = createCallerTurns({ maxParsing: 1, maxWaiting: 1, maxWaitingSize: 1e9, networks: callerNetworks({ callerPrefixLength: 56, networkPrefixLength: 48, callers: 2 }) });
    for (const n of [1, 2, 3, 4]) turns.run(NET_A(n), task(NET_A(n), `t${n}`)); // 2 ran, 2 waiting: the network's line is full
    const before = JSON.stringify(turns.tracked());
    expect(turns.run(NET_A(5), task(NET_A(5), "t5"))).toBe("refused");
    expect(JSON.stringify(turns.tracked())).toBe(before);
    expect(turns.state(NET_A(5))).toEqual({ parsing: 0, waiting: 0, waitingSize: 0 });
    for (let i = 0; i < 10; i += 1) loop.check();
    expect(turns.tracked()).toEqual({ callers: 0, networks: 0, waitingForNetworkTurns: 0 });
  });
});
