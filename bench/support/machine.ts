import { readFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";

/** What the figures were measured on: they mean nothing without it. */
export function describeMachine(): { date: string; nproc: number; cpuModel: string; memoryGb: number; node: string } {
  let cpuModel = cpus()[0]?.model ?? "unknown";
  try {
    cpuModel = readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.+)$/m)?.[1]?.trim() ?? cpuModel;
  } catch {
    // Not Linux: os.cpus() is good enough.
  }
  return { date: new Date().toISOString(), nproc: cpus().length, cpuModel, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version };
}

/** Share of all CPUs busy over `ms` (any process): a bench on a busy machine measures the neighbours. */
export async function cpuBusyShare(ms = 1000): Promise<number> {
  const sample = () => {
    const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = fields[3]! + (fields[4] ?? 0);
    return { idle, total: fields.reduce((a, b) => a + b, 0) };
  };
  try {
    const before = sample();
    await new Promise((resolve) => setTimeout(resolve, ms));
    const after = sample();
    return Math.round((1 - (after.idle - before.idle) / (after.total - before.total)) * 100);
  } catch {
    return -1;
  }
}
