import { hostname } from "node:os";
import { pino, type DestinationStream } from "pino";

/**
 * What stdout may hold unwritten before log lines are dropped. pino's own stdout stream (SonicBoom,
 * asynchronous) buffers without a bound: with a log reader slower than the gateway writes (a
 * throttled container runtime, a stalled shipper), lines pile up on the heap until the process runs
 * out of memory (an attacker review: heap 39 → 110 MB in 75 s under one caller's allowed traffic,
 * stdout read at 256 KB/s). 4 MiB is minutes of ordinary logging; past it, lines are dropped and
 * counted, and the count is written once stdout takes lines again.
 */
export const LOG_BUFFER_MAX_BYTES = 4 * 1024 * 1024;

/** pino's stdout destination with LOG_BUFFER_MAX_BYTES as its bound (SonicBoom's `maxLength`, its `drop` event). */
export function boundedStdout(maxBytes: number = LOG_BUFFER_MAX_BYTES, fd: number = process.stdout.fd ?? 1): DestinationStream {
  const stream = pino.destination({ dest: fd, sync: false, maxLength: maxBytes });
  let dropped = 0;
  let note: string | undefined;
  let noteDropped = false;
  // Emitted synchronously from inside write().
  stream.on("drop", (data: unknown) => {
    if (data === note) noteDropped = true;
    else dropped += 1;
  });
  const host = hostname();
  return {
    write(line: string) {
      if (dropped > 0) {
        const droppedLines = dropped;
        note = `${JSON.stringify({ level: 40, time: Date.now(), pid: process.pid, hostname: host, droppedLines, msg: `dropped ${droppedLines} log lines: stdout was not read as fast as the gateway wrote (${maxBytes} bytes waiting)` })}\n`;
        noteDropped = false;
        dropped = 0;
        stream.write(note);
        // Still full: the count waits for the next line.
        if (noteDropped) dropped = droppedLines;
        note = undefined;
      }
      stream.write(line);
    },
  };
}
