import { createServer } from "node:net";

/** A loopback port free a moment ago: nothing listens on it (a closed port to connect to), or a test may listen there. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
