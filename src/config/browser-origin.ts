/**
 * Whether `value` is an origin as browsers send it in the Origin header (scheme://host[:port],
 * serialized: lower-case host, punycode, no default port, no path, query, fragment or user info).
 * CORS_ORIGINS entries are compared with that header byte for byte (server/cors.ts), so any other
 * spelling, and a pattern such as https://*.example.com, would allow no one.
 */
export function isBrowserOrigin(value: string): boolean {
  if (value.includes("*")) return false;
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.origin === value;
  } catch {
    return false;
  }
}
