/**
 * `npx tsx bench/profile-diff.ts <base.cpuprofile> <baseRequests> <other.cpuprofile> <otherRequests> [--last=8] [--top=40]`:
 * where one scenario spends more CPU per request than another. Takes the samples of the last
 * --last seconds of each profile (the measured load, after start-up and warm-up; bench/profile.ts
 * --keep writes such profiles and prints the request counts), divides self time by the requests
 * served in that window, and prints the per-request difference (other − base) by package and by
 * function, largest first.
 */
import { readFileSync } from "node:fs";

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }
interface CpuProfile { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

const [basePath, baseRequests, otherPath, otherRequests] = process.argv.slice(2).filter((arg) => !arg.startsWith("--"));
const flags = Object.fromEntries(process.argv.slice(2).filter((arg) => arg.startsWith("--")).map((arg) => arg.slice(2).split("=") as [string, string]));
const lastUs = Number(flags.last ?? 8) * 1e6;
const top = Number(flags.top ?? 40);

function perRequest(path: string, requests: number): { byFunction: Map<string, number>; byPlace: Map<string, number>; busy: number } {
  const profile = JSON.parse(readFileSync(path, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const times: number[] = [];
  let t = profile.startTime;
  for (const delta of profile.timeDeltas) times.push((t += delta));
  // The load stopped a little before the process did: anchor the window at the last busy sample.
  let lastBusy = profile.endTime;
  for (let i = profile.samples.length - 1; i >= 0; i--) {
    if (byId.get(profile.samples[i]!)!.callFrame.functionName !== "(idle)") { lastBusy = times[i]!; break; }
  }
  const from = lastBusy - lastUs;
  const byFunction = new Map<string, number>();
  const byPlace = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    if (times[i]! < from || times[i]! > lastBusy) return;
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === "(idle)") return;
    const us = (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0) / requests;
    const pkg = frame.url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1] ?? (frame.url.startsWith("node:") ? frame.url : frame.url === "" ? frame.functionName : frame.url.replace(/^.*\/(dist|src)\//, "$1/").replace(/\/[^/]+$/, ""));
    const name = `${frame.functionName || "(anonymous)"} ${frame.url.replace(/^.*node_modules\//, "").replace(/^.*\/(dist|src)\//, "$1/")}:${frame.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    byPlace.set(pkg, (byPlace.get(pkg) ?? 0) + us);
    busy += us;
  });
  return { byFunction, byPlace, busy };
}

const base = perRequest(basePath!, Number(baseRequests));
const other = perRequest(otherPath!, Number(otherRequests));
const diff = (a: Map<string, number>, b: Map<string, number>) =>
  [...new Set([...a.keys(), ...b.keys()])].map((key) => ({ key, base: a.get(key) ?? 0, other: b.get(key) ?? 0 })).sort((x, y) => Math.abs(y.other - y.base) - Math.abs(x.other - x.base));
const row = (entry: { key: string; base: number; other: number }) =>
  `  ${(entry.other - entry.base >= 0 ? "+" : "") + (entry.other - entry.base).toFixed(1).padStart(6)} µs  (${entry.base.toFixed(1).padStart(6)} → ${entry.other.toFixed(1).padStart(6)})  ${entry.key}`;
process.stdout.write(`busy per request: ${base.busy.toFixed(1)} µs → ${other.busy.toFixed(1)} µs (${(other.busy - base.busy).toFixed(1)})\n\nby package:\n`);
process.stdout.write(diff(base.byPlace, other.byPlace).slice(0, 25).map(row).join("\n") + "\n\nby function:\n");
process.stdout.write(diff(base.byFunction, other.byFunction).slice(0, top).map(row).join("\n") + "\n");
