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
