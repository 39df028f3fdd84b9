import { createCipheriv, createDecipheriv, createHmac, hkdfSync } from "node:crypto";
import { pooledRandomBytes } from "./pooled-random.js";

/**
 * How the gateway names and protects what it stores, under the gateway secret (GATEWAY_SECRET):
 *
 * - Keys are `idc:v1:<purpose>:<HMAC-SHA256 of purpose and parts, base64url>`: deterministic, so
 *   replicas sharing the secret agree on them, and one-way, so a token, assertion or code that
 *   went into a key can never be read back out of Redis' key list.
 * - Values that hold tokens are sealed with AES-256-GCM: random 96-bit IV, 128-bit tag, and the
 *   key as associated data, so a value copied to another key fails to open.
 * The HMAC key and the encryption key are derived from the secret with HKDF under distinct labels:
 * neither can be computed from the other.
 */
export interface Keyspace {
  /** `idc:v1:<purpose>:<digest>`; `purpose` is lowercase words with dashes, e.g. "sf-lock". */
  key(purpose: string, ...parts: ReadonlyArray<string | Buffer>): string;
  /** Encrypts `plaintext` for storage under `key`. */
  seal(key: string, plaintext: Buffer): Buffer;
  /** Decrypts a value sealed for `key`; throws SealedValueError if it was altered, moved or sealed under another secret. */
  open(key: string, sealed: Buffer): Buffer;
}

export const KEY_NAMESPACE = "idc:v1";
const MIN_SECRET_BYTES = 32;
const HKDF_SALT = Buffer.from("idc-token-gateway/keyspace/v1");
const HMAC_KEY_LABEL = "idc:v1:key-derivation:hmac-sha256";
const ENCRYPTION_KEY_LABEL = "idc:v1:value-encryption:aes-256-gcm";
const FORMAT_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + IV_BYTES + TAG_BYTES;
const PURPOSE_PATTERN = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

/** A stored value that cannot be opened. The message never contains any part of the value. */
export class SealedValueError extends Error {
  constructor(reason: string) {
    super(`stored value cannot be opened: ${reason}`);
    this.name = "SealedValueError";
  }
}

/** The format byte of a value a keyspace without sealing wrote (process memory only): never opened by a sealing one. */
const PLAIN_FORMAT = 0;

/**
 * `sealing: false` is for a store that never leaves the process (the memory store): its values are
 * kept as they are, behind a format byte a sealing keyspace refuses. Encrypting them would protect
 * nothing, the key living in the same memory (as do the issued tokens the process-local LRU holds),
 * and cost an uncached exchange three AES-GCM seals and random IVs (~15-25 µs, bench/profile.ts).
 */
export function createKeyspace(options: { secret: Buffer; sealing?: boolean }): Keyspace {
  const secret = getValidSecret(options?.secret);
  const sealing = options.sealing !== false;
  const hmacKey = Buffer.from(hkdfSync("sha256", secret, HKDF_SALT, HMAC_KEY_LABEL, 32));
  const encryptionKey = Buffer.from(hkdfSync("sha256", secret, HKDF_SALT, ENCRYPTION_KEY_LABEL, 32));

  return {
    key(purpose, ...parts) {
      // Stryker disable next-line ConditionalExpression: equivalent, a non-string purpose fails the pattern too (its string form has no lowercase word)
      if (typeof purpose !== "string" || !PURPOSE_PATTERN.test(purpose)) {
        throw new TypeError(`keyspace.key: purpose must be lowercase words joined by dashes, e.g. "sf-lock" (got ${JSON.stringify(purpose)})`);
      }
      const hmac = createHmac("sha256", hmacKey);
      // Length-prefix every field so ("ab","c") and ("a","bc") can never share a digest.
      for (const field of [purpose, ...parts]) {
        // Stryker disable next-line ConditionalExpression,StringLiteral: equivalent, Buffer.from copies a Buffer byte for byte, and an empty encoding name reads UTF-8
        const bytes = typeof field === "string" ? Buffer.from(field, "utf8") : field;
        const length = Buffer.alloc(4);
        length.writeUInt32BE(bytes.length);
        hmac.update(length).update(bytes);
      }
      return `${KEY_NAMESPACE}:${purpose}:${hmac.digest("base64url")}`;
    },

    seal(key, plaintext) {
      if (!sealing) return Buffer.concat([Buffer.from([PLAIN_FORMAT]), plaintext]);
      const iv = pooledRandomBytes(IV_BYTES);
      // Stryker disable next-line ObjectLiteral: equivalent, TAG_BYTES (16) is GCM's default tag length
      const cipher = createCipheriv("aes-256-gcm", encryptionKey, iv, { authTagLength: TAG_BYTES });
      // Stryker disable next-line StringLiteral: equivalent, Buffer.from with an empty encoding name reads UTF-8
      cipher.setAAD(Buffer.from(key, "utf8"));
      const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return Buffer.concat([Buffer.from([FORMAT_VERSION]), iv, cipher.getAuthTag(), ciphertext]);
    },

    open(key, sealed) {
      if (!sealing) {
        if (!Buffer.isBuffer(sealed) || sealed.length < 1 || sealed[0] !== PLAIN_FORMAT) throw new SealedValueError("not a value this process stored");
        return sealed.subarray(1);
      }
      if (!Buffer.isBuffer(sealed) || sealed.length < HEADER_BYTES) throw new SealedValueError("too short to be a sealed value");
      if (sealed[0] !== FORMAT_VERSION) throw new SealedValueError(`unknown format version ${sealed[0]}`);
      const iv = sealed.subarray(1, 1 + IV_BYTES);
      const tag = sealed.subarray(1 + IV_BYTES, HEADER_BYTES);
      // Stryker disable next-line ObjectLiteral: equivalent, TAG_BYTES (16) is GCM's default tag length
      const decipher = createDecipheriv("aes-256-gcm", encryptionKey, iv, { authTagLength: TAG_BYTES });
      // Stryker disable next-line StringLiteral: equivalent, Buffer.from with an empty encoding name reads UTF-8
      decipher.setAAD(Buffer.from(key, "utf8"));
      decipher.setAuthTag(tag);
      try {
        return Buffer.concat([decipher.update(sealed.subarray(HEADER_BYTES)), decipher.final()]);
      } catch {
        throw new SealedValueError("authentication failed (altered, moved from another key, or sealed under another gateway secret)");
      }
    },
  };
}

function getValidSecret(secret: unknown): Buffer {
  if (!Buffer.isBuffer(secret) || secret.length < MIN_SECRET_BYTES) {
    const got = Buffer.isBuffer(secret) ? `${secret.length} bytes` : typeof secret;
    throw new TypeError(`createKeyspace: secret must be a Buffer of at least ${MIN_SECRET_BYTES} bytes (got ${got})`);
  }
  return secret;
}
