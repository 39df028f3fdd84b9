/**
 * Redirect URI rules for registered public clients: https anywhere, plain http only to a loopback
 * address (RFC 8252 §7.3), never a fragment (RFC 6749 §3.1.2). A loopback registration matches any
 * port, because native clients (the AWS CLI registers `http://127.0.0.1/oauth/callback`) only learn
 * their port when they open the listener.
 */
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(["127.0.0.1", "[::1]", "localhost"]);

/** Why `uri` cannot be registered, or undefined when it can. */
export function redirectUriProblem(uri: string): string | undefined {
  if (!URL.canParse(uri)) return "is not an absolute URI";
  const url = new URL(uri);
  if (uri.includes("#")) return "must not contain a fragment";
  if (url.username !== "" || url.password !== "") return "must not contain user information";
  if (url.protocol === "https:" && url.hostname !== "") return undefined;
  if (url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname)) return undefined;
  return "must use https, or http on a loopback address (127.0.0.1, [::1] or localhost)";
}

function isLoopbackHttp(url: URL): boolean {
  return url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname);
}

/** Whether a redirect URI given at authorization is one the client registered. */
export function redirectUriMatches(registered: string, requested: string): boolean {
  if (registered === requested) return true;
  if (!URL.canParse(registered) || !URL.canParse(requested)) return false;
  const r = new URL(registered);
  const q = new URL(requested);
  if (!isLoopbackHttp(r) || !isLoopbackHttp(q) || requested.includes("#")) return false;
  return q.hostname === r.hostname && q.pathname === r.pathname && q.search === r.search && q.username === "" && q.password === "";
}
