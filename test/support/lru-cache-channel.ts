import { channel as diagnosticsChannel } from "node:diagnostics_channel";

/**
 * What `run` made lru-cache publish on its `lru-cache:metrics` diagnostics channel, where an in-process
 * subscriber (an APM agent) receives every key and value it gets or sets, and the cache itself.
 */
export async function lruCachePublications(run: () => Promise<void>): Promise<unknown[]> {
  const published: unknown[] = [];
  const metrics = diagnosticsChannel("lru-cache:metrics");
  const listen = (message: unknown) => void published.push(message);
  metrics.subscribe(listen);
  try {
    await run();
  } finally {
    metrics.unsubscribe(listen);
  }
  return published;
}
