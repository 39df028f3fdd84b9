/* What the caller-turn scheduler (caller-turn-scheduler.ts) takes and gives: its options, tasks and the error of a request gone while it waited. */
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
   * Milliseconds a caller's turn may run: once this long has passed since the first of its bodies
   * started this turn, its next bodies keep their turns but start only after the loop has polled again
   * (absent: a turn is `maxParsing` bodies, however long they run). A body costs what it costs before
   * its first wait on I/O, execution and serialization of its answer included: a valid introspection
   * document ~10 ms, 100 times a cached exchange, so four per turn held the loop 40 ms and more.
   */
  turnBudgetMs?: number | undefined;
  /** The clock for turnBudgetMs (tests): performance.now by default. */
  now?: (() => number) | undefined;
}

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

/** A waiting body whose connection closed: not parsed; fastify answers it 400 to a closed socket. */
export class RequestGoneError extends Error {
  readonly code = "IDC_REQUEST_GONE";
  readonly statusCode = 400;
  constructor() {
    super("The connection closed while the request waited for its turn.");
  }
}
