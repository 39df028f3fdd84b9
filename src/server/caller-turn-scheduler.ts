/**
 * The scheduler behind MAX_PARSING_PER_CALLER (caller-turns.ts says why and what a turn covers): each
 * caller has `maxParsing` turns; a task runs at once on a free turn, or waits, already received, for
 * one of its caller's turns to come back at the loop's check phase. With `networks`, every IPv6 caller
 * also needs a turn of its network's (IPV6_NETWORK_CALLERS × maxParsing, caller-networks.ts): 256
 * callers of one free /48 took 1,024 turns between two polls of the sockets. A caller keeps its own
 * bound inside its network's (the network's turns are not one queue a single caller could fill), and a
 * network turn coming back goes round the network's callers that wait for one, so one caller with a
 * long line does not hold its neighbours' share.
 */
import { RequestGoneError, type CallerTurns, type CallerTurnsOptions, type TurnState, type TurnTask } from "./caller-turn-contracts.js";

export * from "./caller-turn-contracts.js";

interface Caller extends TurnState {
  key: string;
  waitingTasks: TurnTask[];
  /** Turns handed to waiting bodies, to start at the next check phase: bodies beyond these still wait for one. */
  admitting: number;
  /** Bodies holding a turn, not started: this turn of the caller's ran past turnBudgetMs (oldest first). */
  deferred: TurnTask[];
  /** Bodies started whose turn has not come back yet (the check phase after each started). */
  running: number;
  /** When the first of them started (undefined when none runs). */
  turnStartedAt: number | undefined;
  network: Network | undefined;
}

interface Network extends TurnState {
  key: string;
  /** Callers of this network with a body waiting for a network turn (a turn of their own free), oldest first. */
  starved: Set<Caller>;
  members: number;
}

export function createCallerTurns(options: CallerTurnsOptions): CallerTurns {
  const { maxParsing, maxWaiting, maxWaitingSize, networks, turnBudgetMs } = options;
  const now = options.now ?? (() => performance.now());
  if (turnBudgetMs !== undefined && !(turnBudgetMs >= 0)) throw new TypeError(`createCallerTurns: turnBudgetMs must be a number of milliseconds (got ${turnBudgetMs})`);
  for (const [name, value] of [["maxParsing", maxParsing], ["maxWaiting", maxWaiting], ["maxWaitingSize", maxWaitingSize], ["networks.callers", networks?.callers ?? 1]] as const) {
    if (!Number.isSafeInteger(value) || value < 1) throw new TypeError(`createCallerTurns: ${name} must be a positive integer (got ${value})`);
  }
  // A network's bounds: `callers` times a caller's (capped where the product would pass exact integers).
  const scaled = (value: number) => Math.min(Number.MAX_SAFE_INTEGER, value * (networks?.callers ?? 1));
  const network = { maxParsing: scaled(maxParsing), maxWaiting: scaled(maxWaiting), maxWaitingSize: scaled(maxWaitingSize) };
  const callers = new Map<string, Caller>();
  const networksByKey = new Map<string, Network>();

  const callerOf = (key: string): Caller => {
    const known = callers.get(key);
    if (known !== undefined) return known;
    const networkKey = networks?.networkOf(key);
    let home: Network | undefined;
    if (networkKey !== undefined) {
      home = networksByKey.get(networkKey);
      if (home === undefined) {
        home = { key: networkKey, parsing: 0, waiting: 0, waitingSize: 0, starved: new Set(), members: 0 };
        networksByKey.set(networkKey, home);
      }
      home.members += 1;
    }
    const caller: Caller = { key, parsing: 0, waiting: 0, waitingSize: 0, waitingTasks: [], admitting: 0, deferred: [], running: 0, turnStartedAt: undefined, network: home };
    callers.set(key, caller);
    return caller;
  };

  /** A caller with nothing taken and nothing waiting is forgotten, and its network with its last caller. */
  const forgetIfIdle = (caller: Caller) => {
    if (caller.parsing > 0 || caller.waiting > 0) return;
    callers.delete(caller.key);
    const home = caller.network;
    if (home === undefined) return;
    home.starved.delete(caller);
    home.members -= 1;
    if (home.members === 0) networksByKey.delete(home.key);
  };

  const mayRunNow = (caller: Caller) =>
    caller.waiting === 0 && caller.parsing < maxParsing && (caller.network === undefined || caller.network.parsing < network.maxParsing);

  /** Whether a caller has a body no turn is handed to yet, and a turn of its own free for it. */
  const waitsForNetworkTurn = (caller: Caller) => caller.waiting > caller.admitting && caller.parsing < maxParsing;

  /** Hands a taken turn to the caller's oldest waiting body, at the next check phase (after the loop polled again). */
  const handTurn = (caller: Caller) => {
    caller.admitting += 1;
    setImmediate(admitNext, caller);
  };

  /** The next caller of the network, other than `holder`, that waits for a network turn and can take one. */
  const nextStarved = (home: Network, holder: Caller): Caller | undefined => {
    for (const candidate of home.starved) {
      if (candidate === holder) continue;
      home.starved.delete(candidate);
      if (waitsForNetworkTurn(candidate)) return candidate;
    }
    return undefined;
  };

  /** Whether the caller's bodies started this turn have run turnBudgetMs: its next ones wait for the loop to poll. */
  // Stryker disable next-line ConditionalExpression,LogicalOperator: equivalent: without a budget or a turn started, `now() - turnStartedAt >= turnBudgetMs` compares with undefined or NaN, false as the guards answer
  const pastBudget = (caller: Caller) => turnBudgetMs !== undefined && caller.turnStartedAt !== undefined && now() - caller.turnStartedAt >= turnBudgetMs;

  /** Starts a body on a turn it holds; the turn comes back at the next check phase, whatever the body does. */
  const start = (caller: Caller, task: TurnTask, afterWaiting: boolean) => {
    if (caller.running === 0) caller.turnStartedAt = now();
    caller.running += 1;
    // Scheduled first: a task that throws (to fastify, which answers it) still gives the turn back.
    setImmediate(finished, caller);
    if (!afterWaiting) {
      task.work();
      return;
    }
    try {
      task.work();
    } catch (error) {
      task.fail(error);
    }
  };

  // At the check phase after a body started: what it did without waiting on I/O is done.
  const finished = (caller: Caller) => {
    caller.running -= 1;
    if (caller.running === 0) {
      caller.turnStartedAt = undefined;
      // Bodies kept back by the budget start at the next check phase, after the loop has polled again (before
      // the bodies the turns given back below are handed to, which are younger).
      // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent: startDeferred on an empty list starts nothing
      if (caller.deferred.length > 0) setImmediate(startDeferred, caller);
    }
    giveBack(caller);
  };

  const startDeferred = (caller: Caller) => {
    while (caller.deferred.length > 0 && !pastBudget(caller)) {
      const task = caller.deferred.shift() as TurnTask;
      if (task.gone()) {
        task.fail(new RequestGoneError());
        giveBack(caller);
        continue;
      }
      start(caller, task, true);
    }
  };

  // Gives a turn back (or hands it to the caller's oldest waiting body), at the check phase after its body ran.
  const giveBack = (caller: Caller) => {
    const home = caller.network;
    const neighbour = home === undefined ? undefined : nextStarved(home, caller);
    if (home !== undefined && neighbour !== undefined) {
      // The network's turn goes round: to a neighbour waiting for one, at the next check phase; this
      // caller's own turn comes back, and it waits for a network turn behind the others if it has a line.
      caller.parsing -= 1;
      if (waitsForNetworkTurn(caller)) home.starved.add(caller);
      neighbour.parsing += 1;
      handTurn(neighbour);
      // Still more bodies than turns handed to it (a review found one handed turns it had no body for, idle a loop turn).
      if (waitsForNetworkTurn(neighbour)) home.starved.add(neighbour);
      forgetIfIdle(caller);
      return;
    }
    if (caller.waiting > 0) {
      // The turn stays taken and passes to the oldest waiting body at the next check phase, after
      // the loop has polled its sockets again (a body that arrives meanwhile may be the one it starts).
      handTurn(caller);
      return;
    }
    caller.parsing -= 1;
    if (home !== undefined) home.parsing -= 1;
    forgetIfIdle(caller);
  };

  const dequeue = (caller: Caller) => {
    const next = caller.waitingTasks.shift();
    if (next === undefined) return undefined;
    for (const counts of caller.network === undefined ? [caller] : [caller, caller.network]) {
      counts.waiting -= 1;
      counts.waitingSize -= next.size;
    }
    return next;
  };

  const admitNext = (caller: Caller) => {
    caller.admitting -= 1;
    let next = dequeue(caller);
    while (next !== undefined && next.gone()) {
      // Answered all the same (to no one): a pipelined request's queued response closes only once it is
      // answered, and the shutdown drain counts the request until then.
      next.fail(new RequestGoneError());
      next = dequeue(caller);
    }
    if (next === undefined) {
      giveBack(caller);
      return;
    }
    // The caller's turn has run its budget (a costly body started at this check phase), or older bodies the budget kept
    // back are still to start (startDeferred is due: they start first, in the order they came; a mutation review found
    // this one starting before them): it keeps its turn and starts after them, once the loop has polled again.
    if (pastBudget(caller) || caller.deferred.length > 0) {
      caller.deferred.push(next);
      return;
    }
    start(caller, next, true);
  };

  const emptyState = (): TurnState => ({ parsing: 0, waiting: 0, waitingSize: 0 });
  const stateOf = (counts: TurnState | undefined): TurnState =>
    counts === undefined ? emptyState() : { parsing: counts.parsing, waiting: counts.waiting, waitingSize: counts.waitingSize };

  return {
    run(key, task) {
      const caller = callerOf(key);
      const home = caller.network;
      if (mayRunNow(caller)) {
        caller.parsing += 1;
        if (home !== undefined) home.parsing += 1;
        // Its turn is free but this turn of the caller's has run its budget (or older bodies were kept back by it): it
        // keeps the turn, and starts after the next poll, behind them.
        if (pastBudget(caller) || caller.deferred.length > 0) caller.deferred.push(task);
        else start(caller, task, false);
        return "ran";
      }
      const full = (counts: TurnState, bounds: { maxWaiting: number; maxWaitingSize: number }) =>
        counts.waiting >= bounds.maxWaiting || counts.waitingSize + task.size > bounds.maxWaitingSize;
      if (full(caller, { maxWaiting, maxWaitingSize }) || (home !== undefined && full(home, network))) {
        forgetIfIdle(caller);
        return "refused";
      }
      caller.waitingTasks.push(task);
      for (const counts of home === undefined ? [caller] : [caller, home]) {
        counts.waiting += 1;
        counts.waitingSize += task.size;
      }
      // Held back by its network, not by its own turns: it takes the next network turn that comes round.
      if (home !== undefined && caller.parsing < maxParsing) home.starved.add(caller);
      return "queued";
    },
    state: (key) => stateOf(callers.get(key)),
    tracked: () => ({
      callers: callers.size,
      networks: networksByKey.size,
      waitingForNetworkTurns: [...networksByKey.values()].reduce((count, home) => count + home.starved.size, 0),
    }),
    networkState(key) {
      const networkKey = networks?.networkOf(key);
      return stateOf(networkKey === undefined ? undefined : networksByKey.get(networkKey));
    },
  };
}
