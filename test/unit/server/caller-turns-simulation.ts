/**
 * A simulation of createCallerTurns (from an attacker's review of the IPv6 network turns): a
 * deterministic fake event loop (setImmediate replaced by a queue whose check phase runs exactly the
 * callbacks queued before it began, as Node does), a seeded random driver (tasks that throw, go away
 * while waiting, or submit more from inside their work), and a model of every task, checked after
 * each step: no stall, the per-caller and per-network bounds between two polls, FIFO per caller,
 * counters equal to the queues, nothing left once every body has run.
 */
import { callerNetworks, type CallerNetworks } from "../../../src/server/caller-networks.js";
import { createCallerTurns } from "../../../src/server/caller-turn-scheduler.js";

export function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FakeLoop {
  queue: Array<() => void> = [];
  /** Even: poll (test code, I/O callbacks); odd: check phase. */
  segment = 0;
  uncaught: unknown[] = [];
  private saved: typeof setImmediate | undefined;
  install() {
    this.saved = globalThis.setImmediate;
    (globalThis as { setImmediate: unknown }).setImmediate = (fn: (...args: unknown[]) => void, ...args: unknown[]) => {
      this.queue.push(() => fn(...args));
      return undefined;
    };
  }
  restore() {
    if (this.saved) globalThis.setImmediate = this.saved;
  }
  check(after?: () => void) {
    this.segment += 1;
    const batch = this.queue;
    this.queue = [];
    for (const callback of batch) {
      try {
        callback();
      } catch (error) {
        this.uncaught.push(error);
      }
      after?.();
    }
    this.segment += 1;
  }
}

export const NET_A = (n: number) => `2001:db8:1:${n.toString(16)}00::/56`;
export const NET_B = (n: number) => `2001:db8:2:${n.toString(16)}00::/56`;

export interface SimOptions {
  seed: number;
  maxParsing: number;
  maxWaiting: number;
  maxWaitingSize: number;
  networkCallers?: number;
  keys: string[];
  steps: number;
  /** Max run() calls per poll. */
  burst: number;
  pThrow: number;
  pGone: number;
  pReentrant: number;
  /** Weight: the first key gets this share of the submissions (a hog). */
  hogShare?: number;
}

interface ModelTask {
  id: number;
  key: string;
  size: number;
  throws: boolean;
  goneAtSegment: number;
  reentrant: boolean;
  status: "new" | "queued" | "started" | "failed" | "refused";
  queuedAt: number;
  startedAt: number;
  workCalls: number;
  failCalls: number;
}

export interface SimResult {
  violations: string[];
  log: string[];
  maxWait: Map<string, number>;
  drainedAfter: number;
  sizes?: unknown;
}

export function simulate(o: SimOptions): SimResult {
  const rng = mulberry32(o.seed);
  const loop = new FakeLoop();
  loop.install();
  const violations: string[] = [];
  const log: string[] = [];
  const maxWait = new Map<string, number>();
  const networks: CallerNetworks | undefined =
    o.networkCallers === undefined ? undefined : callerNetworks({ callerPrefixLength: 56, networkPrefixLength: 48, callers: o.networkCallers });
  const netMax = o.maxParsing * (o.networkCallers ?? 1);
  const turns = createCallerTurns({ maxParsing: o.maxParsing, maxWaiting: o.maxWaiting, maxWaitingSize: o.maxWaitingSize, networks });
  const sizesOf = () => turns.tracked();
  const tasks: ModelTask[] = [];
  const submitted = new Map<string, number[]>(); // per key, non-refused task ids in run() order
  const outcomes = new Map<string, number[]>(); // per key, ids in order of first outcome
  const startsBySegment = new Map<string, Map<number, number>>();
  const netOf = (key: string) => networks?.networkOf(key);
  const violate = (message: string) => {
    if (violations.length < 30) violations.push(`[seed ${o.seed} seg ${loop.segment}] ${message}`);
  };
  const countStart = (group: string) => {
    let bySeg = startsBySegment.get(group);
    if (!bySeg) startsBySegment.set(group, (bySeg = new Map()));
    const n = (bySeg.get(loop.segment) ?? 0) + 1;
    bySeg.set(loop.segment, n);
    const windowCount = n + (bySeg.get(loop.segment - 1) ?? 0);
    const bound = group.startsWith("net:") ? netMax : o.maxParsing;
    if (windowCount > bound) violate(`${group}: ${windowCount} tasks started in segments ${loop.segment - 1}..${loop.segment} (bound ${bound})`);
  };
  const pick = () => {
    if (o.hogShare !== undefined && rng() < o.hogShare) return o.keys[0]!;
    return o.keys[Math.floor(rng() * o.keys.length)]!;
  };

  const submit = (key: string, depth: number): void => {
    const t: ModelTask = {
      id: tasks.length,
      key,
      size: 1 + Math.floor(rng() * 20),
      throws: rng() < o.pThrow,
      goneAtSegment: rng() < o.pGone ? loop.segment + 1 + Math.floor(rng() * 6) : Infinity,
      reentrant: depth < 2 && rng() < o.pReentrant,
      status: "new",
      queuedAt: loop.segment,
      startedAt: -1,
      workCalls: 0,
      failCalls: 0,
    };
    const reentrantKey = t.reentrant ? pick() : "";
    tasks.push(t);
    const before = turns.state(key);
    const beforeNet = turns.networkState(key) ?? { parsing: 0, waiting: 0, waitingSize: 0 };
    const sizesBefore = JSON.stringify(sizesOf());
    let outcome: string;
    const firstOutcome = () => {
      const list = outcomes.get(key) ?? [];
      list.push(t.id);
      outcomes.set(key, list);
    };
    const list = submitted.get(key) ?? [];
    submitted.set(key, list);
    list.push(t.id); // provisional: removed if refused
    try {
      outcome = turns.run(key, {
        size: t.size,
        gone: () => loop.segment >= t.goneAtSegment,
        work: () => {
          t.workCalls += 1;
          if (t.workCalls === 1 && t.failCalls === 0) firstOutcome();
          if (t.workCalls > 1 || t.failCalls > 0) violate(`task ${t.id}: work after work/fail`);
          if (loop.segment >= t.goneAtSegment && t.status === "queued") violate(`task ${t.id}: worked though gone`);
          t.status = "started";
          t.startedAt = loop.segment;
          if (t.queuedAt >= 0) maxWait.set(key, Math.max(maxWait.get(key) ?? 0, loop.segment - t.queuedAt));
          log.push(`s${loop.segment} work ${t.id} ${key}`);
          countStart(key);
          const net = netOf(key);
          if (net !== undefined) countStart(`net:${net}`);
          if (t.reentrant) {
            try {
              submit(reentrantKey, depth + 1);
            } catch {
              /* a nested task that threw at once: its own outcome */
            }
          }
          if (t.throws) throw new Error(`task ${t.id} throws`);
        },
        fail: (error) => {
          t.failCalls += 1;
          if (t.workCalls === 0 && t.failCalls === 1) firstOutcome();
          const gone = (error as { code?: string }).code === "IDC_REQUEST_GONE";
          if (gone && (t.workCalls > 0 || t.failCalls > 1)) violate(`task ${t.id}: gone-fail after work/fail`);
          if (!gone && !(t.throws && t.workCalls === 1)) violate(`task ${t.id}: fail(${String(error)}) unexpected`);
          if (gone) t.status = "failed";
          log.push(`s${loop.segment} fail ${t.id} ${key} ${gone ? "gone" : "threw"}`);
        },
      });
    } catch (error) {
      outcome = "threw-now";
      if (!t.throws) throw error;
    }
    log.push(`s${loop.segment} run ${t.id} ${key} -> ${outcome}`);
    if (outcome === "queued") t.status = "queued";
    if (outcome === "refused") {
      t.status = "refused";
      list.pop();
      if (list.length === 0) submitted.delete(key);
      if (before.parsing === 0 && before.waiting === 0 && beforeNet.parsing === 0 && beforeNet.waiting === 0) {
        const after = JSON.stringify(sizesOf());
        if (after !== sizesBefore) violate(`refused task of idle caller ${key} left state: ${sizesBefore} -> ${after}`);
      }
      const s = turns.state(key);
      if (s.waiting !== before.waiting || s.waitingSize !== before.waitingSize || s.parsing !== before.parsing) violate(`refused changed state of ${key}`);
    }
    if (outcome === "ran" || outcome === "threw-now") {
      if (before.waiting > 0) violate(`task ${t.id} of ${key} overtook ${before.waiting} waiting`);
    }
  };

  const checkCounters = (where: string) => {
    const keys = new Set(tasks.map((t) => t.key));
    const netSums = new Map<string, { parsing: number; waiting: number; waitingSize: number }>();
    for (const key of keys) {
      const s = turns.state(key);
      const queued = tasks.filter((t) => t.key === key && t.status === "queued" && t.failCalls === 0 && t.workCalls === 0);
      const waiting = queued.length;
      const waitingSize = queued.reduce((n, t) => n + t.size, 0);
      if (s.waiting !== waiting || s.waitingSize !== waitingSize) violate(`${where}: ${key} state ${JSON.stringify(s)} but model waiting ${waiting}/${waitingSize}`);
      if (s.parsing < 0 || s.parsing > o.maxParsing) violate(`${where}: ${key} parsing ${s.parsing}`);
      if (s.waitingSize < 0 || s.waiting < 0) violate(`${where}: ${key} negative ${JSON.stringify(s)}`);
      const net = netOf(key);
      if (net !== undefined) {
        const sum = netSums.get(net) ?? { parsing: 0, waiting: 0, waitingSize: 0 };
        sum.parsing += s.parsing;
        sum.waiting += s.waiting;
        sum.waitingSize += s.waitingSize;
        netSums.set(net, sum);
        if (s.waiting > o.maxWaiting || s.waitingSize > o.maxWaitingSize) violate(`${where}: ${key} over its waiting bounds ${JSON.stringify(s)}`);
      }
    }
    for (const [net, sum] of netSums) {
      const member = [...keys].find((k) => netOf(k) === net)!;
      const ns = turns.networkState(member);
      if (JSON.stringify(ns) !== JSON.stringify(sum)) violate(`${where}: network ${net} state ${JSON.stringify(ns)} but callers sum ${JSON.stringify(sum)}`);
      if (ns.parsing > netMax || ns.parsing < 0) violate(`${where}: network ${net} parsing ${ns.parsing}`);
      if (ns.waiting > o.maxWaiting * (o.networkCallers ?? 1)) violate(`${where}: network ${net} waiting ${ns.waiting}`);
    }
  };

  try {
    for (let step = 0; step < o.steps; step += 1) {
      const n = Math.floor(rng() * (o.burst + 1));
      for (let i = 0; i < n; i += 1) {
        try {
          submit(pick(), 0);
        } catch (error) {
          violate(`run threw unexpectedly: ${String(error)}`);
        }
        checkCounters("poll");
      }
      loop.check(() => checkCounters("check"));
      checkCounters("after check");
    }
    let drainedAfter = -1;
    for (let i = 0; i < 5000; i += 1) {
      const busy = tasks.some((t) => t.status === "queued") || [...new Set(tasks.map((t) => t.key))].some((k) => turns.state(k).parsing > 0);
      if (!busy && loop.queue.length === 0) {
        drainedAfter = i;
        break;
      }
      loop.check(() => checkCounters("drain"));
    }
    if (drainedAfter < 0) violate(`did not drain: ${tasks.filter((t) => t.status === "queued").length} queued`);
    for (const t of tasks) {
      if (t.status === "queued") violate(`task ${t.id} (${t.key}) never ran nor failed`);
      if (t.workCalls + (t.failCalls > 0 && t.workCalls === 0 ? 1 : 0) === 0 && t.status !== "refused") violate(`task ${t.id} has no outcome`);
    }
    for (const [key, ids] of submitted) {
      const got = outcomes.get(key) ?? [];
      if (JSON.stringify(got) !== JSON.stringify(ids)) violate(`FIFO ${key}: submitted ${ids.slice(0, 20).join(",")} outcomes ${got.slice(0, 20).join(",")}`);
    }
    for (const key of new Set(tasks.map((t) => t.key))) {
      const s = JSON.stringify(turns.state(key));
      const ns = JSON.stringify(turns.networkState(key) ?? { parsing: 0, waiting: 0, waitingSize: 0 });
      const zero = JSON.stringify({ parsing: 0, waiting: 0, waitingSize: 0 });
      if (s !== zero || ns !== zero) violate(`after drain ${key}: ${s} ${ns}`);
    }
    const sizes = sizesOf();
    if (JSON.stringify(sizes) !== JSON.stringify({ callers: 0, networks: 0, waitingForNetworkTurns: 0 })) violate(`leak after drain: ${JSON.stringify(sizes)}`);
    if (loop.uncaught.length > 0) violate(`uncaught in check phase: ${loop.uncaught.map(String).slice(0, 3).join("; ")}`);
    return { violations, log, maxWait, drainedAfter, sizes };
  } finally {
    loop.restore();
  }
}
