import { describe, expect, it } from "vitest";
import { createCallerTurns, type TurnTask } from "../../../src/server/caller-turns.js";

/**
 * The caller turn's time budget (turnBudgetMs, CALLER_TURN_BUDGET_MS in the gateway: src/server/caller-turn-scheduler.ts)
 * at its edges, on a clock the bodies move: from which body a turn's time counts, a body that uses exactly the
 * budget, bodies arriving while older ones are kept back, and the option's own check. Which bodies start between
 * two polls of the loop (check phases) is what another caller feels: their answers wait behind them.
 */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

function scheduler(maxParsing = 4, turnBudgetMs: number | undefined = 5) {
  let clock = 0;
  const log: string[] = [];
  const turns = createCallerTurns({ maxParsing, maxWaiting: 100, maxWaitingSize: 1e6, turnBudgetMs, now: () => clock });
  /** A body that holds the loop `costMs` on the clock. */
  const body = (name: string, costMs: number): TurnTask => ({
    size: 1,
    work: () => { log.push(name); clock += costMs; },
    fail: (error) => log.push(`fail ${name}: ${(error as Error).message}`),
    gone: () => false,
  });
  /** The bodies started at each check phase until the caller holds no turn. */
  const perTurn = async (key: string) => {
    const turnsSeen: string[][] = [];
    while (turns.state(key).parsing > 0) {
      const before = log.length;
      await nextTurn();
      turnsSeen.push(log.slice(before));
    }
    return turnsSeen.filter((started) => started.length > 0);
  };
  return { turns, log, body, perTurn };
}

describe("the caller turn's time budget", () => {
  it("counts a turn's time from its first body, not from the latest one", async () => {
    const { turns, log, body, perTurn } = scheduler();
    // 2 ms each: after three the turn has run 6 ms (past 5) though the third alone ran 2.
    expect(["a1", "a2", "a3", "a4"].map((name) => turns.run("A", body(name, 2)))).toEqual(["ran", "ran", "ran", "ran"]);
    expect(log).toEqual(["a1", "a2", "a3"]);
    expect(await perTurn("A")).toEqual([["a4"]]);
  });

  it("ends a turn whose bodies ran exactly the budget", async () => {
    const { turns, log, body, perTurn } = scheduler();
    expect(turns.run("A", body("a1", 5))).toBe("ran");
    expect(turns.run("A", body("a2", 1))).toBe("ran");
    expect(log).toEqual(["a1"]);
    expect(await perTurn("A")).toEqual([["a2"]]);
  });

  it("starts every body of a turn within its budget at once, and a budget of 0 lets one body a turn start", async () => {
    const within = scheduler();
    expect(["a1", "a2", "a3", "a4", "a5"].map((name) => within.turns.run("A", within.body(name, 1)))).toEqual(["ran", "ran", "ran", "ran", "queued"]);
    expect(within.log).toEqual(["a1", "a2", "a3", "a4"]);
    expect(await within.perTurn("A")).toEqual([["a5"]]);

    const none = scheduler(4, 0);
    expect(["a1", "a2", "a3"].map((name) => none.turns.run("A", none.body(name, 0)))).toEqual(["ran", "ran", "ran"]);
    expect(none.log).toEqual(["a1"]);
    expect(await none.perTurn("A")).toEqual([["a2"], ["a3"]]);
  });

  it("keeps a body that arrives while older ones are kept back behind them, though its turn is free", async () => {
    const { turns, log, body } = scheduler(2);
    expect(turns.run("A", body("a1", 10))).toBe("ran");
    expect(turns.run("A", body("a2", 10))).toBe("ran"); // kept back: the turn ran 10 ms
    expect(log).toEqual(["a1"]);
    // a1's turn comes back at the next check phase; a2 starts at the one after. A body arriving in between waits behind it.
    await nextTurn();
    expect(turns.state("A").parsing).toBe(1);
    expect(turns.run("A", body("a3", 10))).toBe("ran");
    while (turns.state("A").parsing > 0) await nextTurn();
    expect(log).toEqual(["a1", "a2", "a3"]);
    expect(turns.tracked()).toEqual({ callers: 0, networks: 0, waitingForNetworkTurns: 0 });
  });

  it("starts a caller's bodies in the order they came: one waiting in line never starts before older ones the budget kept back", async () => {
    const { turns, log, body, perTurn } = scheduler();
    // a1 and a2 take the turn past its budget (6 ms): a3 and a4 hold turns but are kept back; a5 waits in line for a turn.
    expect(["a1", "a2", "a3", "a4", "a5"].map((name, i) => turns.run("A", body(name, i < 2 ? 3 : 1)))).toEqual(["ran", "ran", "ran", "ran", "queued"]);
    expect(log).toEqual(["a1", "a2"]);
    await perTurn("A");
    expect(log).toEqual(["a1", "a2", "a3", "a4", "a5"]);
  });

  it("answers a body kept back by the budget that throws through its fail, and gives its turn back", async () => {
    const { turns, log, body, perTurn } = scheduler(2);
    expect(turns.run("A", body("a1", 10))).toBe("ran");
    const throwing: TurnTask = { ...body("a2", 0), work: () => { throw new Error("a2 threw"); } };
    expect(turns.run("A", throwing)).toBe("ran"); // kept back: the turn ran 10 ms
    expect(turns.run("A", body("a3", 0))).toBe("queued");
    await perTurn("A");
    expect(log).toEqual(["a1", "fail a2: a2 threw", "a3"]);
    expect(turns.tracked()).toEqual({ callers: 0, networks: 0, waitingForNetworkTurns: 0 });
  });

  it("refuses a budget that is not a number of milliseconds, and takes 0 or none", () => {
    for (const value of [-1, Number.NaN, -0.5]) {
      expect(() => createCallerTurns({ maxParsing: 1, maxWaiting: 1, maxWaitingSize: 1, turnBudgetMs: value })).toThrow(`createCallerTurns: turnBudgetMs must be a number of milliseconds (got ${value})`);
    }
    for (const value of [0, 5, undefined]) expect(() => createCallerTurns({ maxParsing: 1, maxWaiting: 1, maxWaitingSize: 1, turnBudgetMs: value })).not.toThrow();
  });
});
