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
import type { CallerNetworks } from "./caller-networks.js";

export interface CallerTurnsOptions {
  maxParsing: number;
  /** Bodies of one caller that may wait; one more is refused (429). */
  maxWaiting: number;
  /** Their total size (characters); a body that would pass it is refused (429). */
  maxWaitingSize: number;
  /** IPV6_NETWORK_* (caller-networks.ts): an IPv6 caller also takes its network's turns, and its network's waiting bounds, `callers` times a caller's. */
  networks?: CallerNetworks | undefined;
  /**
   * Milliseconds a caller's turn may run: once the bodies it started this turn have run this long
   * (each until the next body of any caller starts, or the check phase), its next bodies keep their
   * turns but start only after the loop has polled again, and a turn that ran past it is followed by a
   * rest as long (at most MAX_REST_MS) in which none of the caller's bodies starts (absent: a turn is
   * `maxParsing` bodies, however long they run, and no rest). A body costs what it costs before its
   * first wait on I/O, execution and serialization of its answer included: a valid introspection
   * document ~10 ms, 100 times a cached exchange, so four per turn held the loop 40 ms and more.
   */
  turnBudgetMs?: number | undefined;
  /** The clock for turnBudgetMs (tests): performance.now by default. */
  now?: (() => number) | undefined;
  /** Starts a caller's rest after a turn that ran past turnBudgetMs (tests): setTimeout by default. */
  restTimer?: ((wake: () => void, ms: number) => void) | undefined;
}

/** The longest rest after one costly turn: a turn that ran longer (a cold start, a stalled host) still gets its caller going again within a second. */
const MAX_REST_MS = 1000;

/** The gateway's turnBudgetMs: a few cheap bodies fit in it; a costly one takes the turn alone. */
export const CALLER_TURN_BUDGET_MS = 5;

/**
 * The bounds MAX_PARSING_PER_CALLER sets: per turn, 256 bodies may wait (1,024 at the default: a
 * burst far past any caller allowance) and 16 full-size bodies' worth of characters (4 MiB at the
 * defaults): at most ~8 MiB of heap per caller.
 */
export function callerTurnBounds(maxParsing: number, maxBodyBytes: number): Omit<CallerTurnsOptions, "networks" | "now"> {
  return { maxParsing, maxWaiting: 256 * maxParsing, maxWaitingSize: 16 * maxParsing * maxBodyBytes, turnBudgetMs: CALLER_TURN_BUDGET_MS };
}

/** One request body's work: run now or in a later turn, unless its request is gone by then. */
export interface TurnTask {
  /** The body's size (characters), counted against maxWaitingSize while it waits. */
  size: number;
  /** Parses the body and carries the request on (fastify's JSON parser and its `done`). */
  work(): void;
  /** Called instead of `work` when its request is gone, or when `work` throws after waiting (outside fastify's own try). */
  fail(error: unknown): void;
  /** The request's connection closed while it waited: not parsed, answered `fail(RequestGoneError)`, its turn passed on. */
  gone(): boolean;
}

/** Turns taken (this turn of the loop, or handed to a waiting body), bodies waiting and their size. */
export interface TurnState {
  parsing: number;
  waiting: number;
  waitingSize: number;
}

export interface CallerTurns {
  /** Runs the task now if its caller (and its network) has a turn free this turn of the loop, queues it, or refuses it (too many waiting). */
  run(key: string, task: TurnTask): "ran" | "queued" | "refused";
  /** The caller's turns and waiting bodies (tests, debugging). */
  state(key: string): TurnState;
  /** Those of the network the caller key lies in; all zero for a caller without one (tests, debugging). */
  networkState(key: string): TurnState;
  /** Callers and networks with turns taken or bodies waiting, and callers listed as waiting for a network turn (tests: none once every body has run). */
  tracked(): { callers: number; networks: number; waitingForNetworkTurns: number };
}

interface Caller extends TurnState {
  key: string;
  waitingTasks: TurnTask[];
  /** Turns handed to waiting bodies, to start at the next check phase: bodies beyond these still wait for one. */
  admitting: number;
  /** Bodies holding a turn, not started: this turn of the caller's ran past turnBudgetMs (oldest first). */
  deferred: TurnTask[];
  /** Bodies started whose turn has not come back yet (the check phase after each started). */
  running: number;
  /** Milliseconds its bodies started this turn have run (each until the next body of any caller started, or the check phase). */
  spent: number;
  /** Its last turn ran past turnBudgetMs: no body of its starts until the rest (as long as that turn) is over. */
  resting: boolean;
  /** A wake (the end of a rest, or deferred bodies to start) is scheduled. */
  waking: boolean;
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
  const restTimer = options.restTimer ?? ((wake: () => void, ms: number) => void setTimeout(wake, ms));
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
    const caller: Caller = { key, parsing: 0, waiting: 0, waitingSize: 0, waitingTasks: [], admitting: 0, deferred: [], running: 0, spent: 0, resting: false, waking: false, network: home };
    callers.set(key, caller);
    return caller;
  };

  /** A caller with nothing taken and nothing waiting is forgotten, and its network with its last caller. */
  const forgetIfIdle = (caller: Caller) => {
    // A resting caller is kept until its rest is over (wake), or its next body would start at once.
    if (caller.parsing > 0 || caller.waiting > 0 || caller.resting || caller.waking) return;
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
  // The body that started last, and when: it has run (synchronously and its microtasks) until the next body starts in
  // another callback, or the check phase. Charged to its caller then, so one caller's costly body is not counted in
  // another's turn that shared the poll.
  let current: Caller | undefined;
  let currentSince = 0;
  const charge = () => {
    if (current === undefined) return;
    current.spent += now() - currentSince;
    current = undefined;
  };
  const pastBudget = (caller: Caller) => {
    if (turnBudgetMs === undefined || caller.running === 0) return false;
    charge();
    return caller.spent >= turnBudgetMs;
  };
  /** Whether a body of the caller's that holds a turn must not start now (it is kept in `deferred`). */
  const heldBack = (caller: Caller) => caller.resting || pastBudget(caller);

  /** Starts the caller's kept-back bodies after `restMs` (a timer), or at the next check phase (0). */
  const scheduleWake = (caller: Caller, restMs: number) => {
    if (caller.waking) return;
    caller.waking = true;
    if (restMs > 0) restTimer(() => wake(caller), restMs);
    else setImmediate(wake, caller);
  };

  const wake = (caller: Caller) => {
    caller.waking = false;
    caller.resting = false;
    startDeferred(caller);
    forgetIfIdle(caller);
  };

  /** Starts a body on a turn it holds; the turn comes back at the next check phase, whatever the body does. */
  const start = (caller: Caller, task: TurnTask, afterWaiting: boolean) => {
    if (turnBudgetMs !== undefined) {
      charge();
      current = caller;
      currentSince = now();
    }
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
    charge();
    caller.running -= 1;
    if (caller.running === 0) {
      const ran = caller.spent;
      caller.spent = 0;
      if (turnBudgetMs !== undefined && ran >= turnBudgetMs) {
        // A turn past the budget is followed by a rest as long: a caller whose bodies are costly has at most about half
        // the loop, and the loop meanwhile polls (and takes new connections, which Node takes about one per turn of
        // the loop) without waiting a costly body each time.
        caller.resting = true;
        scheduleWake(caller, Math.min(ran, MAX_REST_MS));
      } else if (caller.deferred.length > 0) {
        // Bodies kept back start at the next check phase, after the loop has polled again (before the bodies the
        // turns given back below are handed to, which are younger).
        scheduleWake(caller, 0);
      }
    }
    giveBack(caller);
  };

  const startDeferred = (caller: Caller) => {
    while (caller.deferred.length > 0 && !heldBack(caller)) {
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
    // The caller's turn has run its budget (a costly body started at this check phase): this one keeps its turn and
    // starts once the loop has polled again.
    if (heldBack(caller)) {
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
        if (heldBack(caller) || caller.deferred.length > 0) caller.deferred.push(task);
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

/** A waiting body whose connection closed: not parsed; fastify answers it 400 to a closed socket. */
export class RequestGoneError extends Error {
  readonly code = "IDC_REQUEST_GONE";
  readonly statusCode = 400;
  constructor() {
    super("The connection closed while the request waited for its turn.");
  }
}
