/**
 * Where a Cluster's health probe writes: one key on each master. A probe of one key reached one master, so a
 * gateway whose other master was down (its replica not promoted yet: cluster-node-timeout, 15 s by default)
 * switched back to Redis at every probe, and the first command for the dead master's slots waited out the command
 * timeout before it fell back again: a review saw five "degraded" / "recovered" rounds in one failover with a 6 s
 * node timeout, each stalling requests about a second, and state shared and not shared by turns
 * (test/integration/topology/cluster-partial-outage.test.ts).
 */

const SLOTS = 16_384;

/** Redis Cluster's CRC16 (XMODEM) of a key, or of its hash tag (the first non-empty `{…}`). */
export function keySlot(key: string): number {
  let bytes = Buffer.from(key, "utf8");
  const open = bytes.indexOf(0x7b);
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1);
    if (close > open + 1) bytes = bytes.subarray(open + 1, close);
  }
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit += 1) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % SLOTS;
}

/**
 * One key per master the slot map names (`slots[slot][0]`, as ioredis keeps it), each `base` with a hash tag that
 * puts it on that master once `prefix` is prepended. A prefix with a hash tag of its own puts every key of the
 * gateway on one master: that master's key is all there is to probe. Empty while the map is (no slots known yet).
 */
export function probeKeysPerMaster(slots: ReadonlyArray<ReadonlyArray<string> | undefined>, prefix: string, base: string): string[] {
  const masters = new Set<string>();
  for (const nodes of slots) if (nodes?.[0] !== undefined) masters.add(nodes[0]);
  const keys = new Map<string, string>();
  // A few tags each on average (masters own contiguous ranges); bounded for a map that cannot be covered.
  for (let tag = 0; tag < 4 * SLOTS && keys.size < masters.size; tag += 1) {
    const key = `${base}:{${tag}}`;
    const owner = slots[keySlot(prefix + key)]?.[0];
    if (owner !== undefined && !keys.has(owner)) keys.set(owner, key);
  }
  return [...keys.values()];
}
