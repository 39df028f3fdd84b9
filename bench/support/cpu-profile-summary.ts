import { readFileSync } from "node:fs";

/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): self time per function and per
 * "where" (an npm package, a src/ folder, node internals, GC/idle), as shares of the non-idle time.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTimeEntry {
  name: string;
  where: string;
  selfMs: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  busyMs: number;
  functions: SelfTimeEntry[];
  places: { where: string; selfMs: number; share: number }[];
}

export function summariseCpuProfile(path: string, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, index) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));

  const functions = new Map<string, { name: string; where: string; us: number }>();
  const places = new Map<string, number>();
  let idleUs = 0;
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    totalUs += us;
    if (frame.functionName === "(idle)" || frame.functionName === "(program)") {
      if (frame.functionName === "(idle)") { idleUs += us; continue; }
    }
    const where = placeOf(frame.url, frame.functionName);
    const name = `${frame.functionName || "(anonymous)"} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
    const entry = functions.get(name) ?? { name, where, us: 0 };
    entry.us += us;
    functions.set(name, entry);
    places.set(where, (places.get(where) ?? 0) + us);
  }
  const busyUs = totalUs - idleUs;
  const share = (us: number) => Math.round((us / busyUs) * 1000) / 10;
  return {
    totalMs: Math.round(totalUs / 1000),
    busyMs: Math.round(busyUs / 1000),
    functions: [...functions.values()].sort((a, b) => b.us - a.us).slice(0, top).map((f) => ({ name: f.name, where: f.where, selfMs: Math.round(f.us / 1000), share: share(f.us) })),
    places: [...places.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([where, us]) => ({ where, selfMs: Math.round(us / 1000), share: share(us) })),
  };
}

function placeOf(url: string, functionName: string): string {
  if (url === "") return functionName.startsWith("(") ? functionName : "(native)";
  if (url.startsWith("node:")) return `node:${url.slice(5).split("/")[0]}`;
  const pkg = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (pkg) return pkg[1]!;
  const own = url.match(/\/(?:dist|src)\/([^/]+)\//);
  if (own) return `gateway:${own[1]}`;
  return shortUrl(url);
}

function shortUrl(url: string): string {
  return url.replace(/^file:\/\/.*?node_modules\//, "").replace(/^file:\/\/.*?\/(dist|src)\//, "$1/");
}
