/** A self-signed CA and a server certificate for 127.0.0.1, made with openssl in a tmp dir. */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { topologyDir } from "./redis-processes.js";

export interface TlsFiles {
  caFile: string;
  ca: Buffer;
  /** redis-server's tls-* arguments (clients are not asked for certificates, as on ElastiCache). */
  serverArgs: string[];
}

export function makeTlsFiles(): TlsFiles {
  const dir = topologyDir("tls");
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "ignore" });
  openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=idc-test-ca", "-keyout", file("ca.key"), "-out", file("ca.crt"));
  openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", file("server.key"), "-out", file("server.csr"));
  openssl(
    "x509", "-req", "-in", file("server.csr"), "-CA", file("ca.crt"), "-CAkey", file("ca.key"), "-CAcreateserial", "-days", "1",
    "-extfile", writeExtensions(dir), "-out", file("server.crt"),
  );
  return {
    caFile: file("ca.crt"),
    ca: readFileSync(file("ca.crt")),
    serverArgs: [
      "--tls-cert-file", file("server.crt"), "--tls-key-file", file("server.key"), "--tls-ca-cert-file", file("ca.crt"),
      "--tls-auth-clients", "no",
    ],
  };
}

function writeExtensions(dir: string): string {
  const path = join(dir, "server.ext");
  writeFileSync(path, "subjectAltName=IP:127.0.0.1\n");
  return path;
}
