/**
 * The (hostile) row's attacker, in its own process: a second caller's requests are timed by the
 * bench process, and sending 2.5 MB of refusals from that same process delayed its own event loop
 * (its timers and the answers it read) by tens of milliseconds, which the row counted as the
 * gateway's. In its own process, as on another machine, it still takes the cores' share it takes.
 * At `startAt` (epoch ms) it runs support/hostile-caller.ts's runHostileCaller for `durationMs`, and beside it
 * support/framing-attacks.ts (pipelined floods, chunked bodies in 1-byte chunks) from the same address.
 * argv: <graphqlUrl> <startAtEpochMs> <durationMs>
 * Prints one line: `hostile-caller result {json}` (requests, statuses, p99Ms, framing; or error).
 */
import { runFramingAttacks } from "./support/framing-attacks.js";
import { runHostileCaller } from "./support/hostile-caller.js";
import { percentiles } from "./support/load.js";

const [url, startAtArg, durationArg] = process.argv.slice(2);
const late = Date.now() - Number(startAtArg);
if (late > 0) {
  console.log(`hostile-caller result ${JSON.stringify({ error: `ready ${late} ms after the attack was to start` })}`);
} else {
  await new Promise((resolve) => setTimeout(resolve, -late));
  const [answers, framing] = await Promise.all([runHostileCaller({ url: url!, durationMs: Number(durationArg), validIntrospection: true }), runFramingAttacks({ url: url!, durationMs: Number(durationArg) })]);
  const statuses: Record<string, number> = {};
  for (const answer of answers) statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
  console.log(`hostile-caller result ${JSON.stringify({ requests: answers.length, statuses, p99Ms: percentiles(answers.map((answer) => answer.ms)).p99Ms, framing })}`);
}
