import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createKeyspace, SealedValueError } from "../../../src/store/keyspace.js";

const secret = Buffer.alloc(32, 7);
const keyspace = createKeyspace({ secret });
const token = Buffer.from("aoaAAAAAGhEXAMPLEaccessTOKEN-1234567890abcdefghijklmnop");

describe("keyspace.key", () => {
  it("is idc:v1:<purpose>:<43 base64url characters>, the same for the same secret and parts", () => {
    const key = keyspace.key("sf-lock", "client", token);
    expect(key).toMatch(/^idc:v1:sf-lock:[A-Za-z0-9_-]{43}$/);
    expect(createKeyspace({ secret: Buffer.alloc(32, 7) }).key("sf-lock", "client", token)).toBe(key);
  });

  it("differs across secrets, purposes, and field boundaries", () => {
    const key = keyspace.key("sf-lock", "ab", "c");
    expect(createKeyspace({ secret: Buffer.alloc(32, 8) }).key("sf-lock", "ab", "c")).not.toBe(key);
    expect(keyspace.key("sf-result", "ab", "c").split(":")[3]).not.toBe(key.split(":")[3]);
    expect(keyspace.key("sf-lock", "a", "bc")).not.toBe(key);
  });

  it("never contains any 6-character piece of its inputs", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 8, maxLength: 64 }), (input) => {
        const digest = keyspace.key("cache", input).split(":")[3]!;
        for (let start = 0; start + 6 <= input.length; start += 1) {
          if (digest.includes(input.slice(start, start + 6))) return false;
        }
        return true;
      }),
      { numRuns: 300 },
    );
    const digest = keyspace.key("cache", token).split(":")[3]!;
    expect(digest).not.toContain(token.toString().slice(0, 8));
  });

  it("refuses a purpose that is not lowercase words joined by dashes", () => {
    expect(() => keyspace.key("Sf_Lock", "x")).toThrow(
      'keyspace.key: purpose must be lowercase words joined by dashes, e.g. "sf-lock" (got "Sf_Lock")',
    );
  });
});

describe("keyspace.seal and keyspace.open", () => {
  const key = keyspace.key("sf-result", "fingerprint");

  it("round-trips any bytes, with a fresh IV every time", () => {
    const sealed = keyspace.seal(key, token);
    expect(keyspace.open(key, sealed)).toEqual(token);
    expect(keyspace.seal(key, token).equals(sealed)).toBe(false);
    expect(keyspace.open(key, keyspace.seal(key, Buffer.alloc(0)))).toEqual(Buffer.alloc(0));
  });

  it("stores no piece of the plaintext: the sealed bytes share no 6-byte run with it", () => {
    const sealed = keyspace.seal(key, token);
    expect(sealed.length).toBe(1 + 12 + 16 + token.length);
    for (let start = 0; start + 6 <= token.length; start += 1) {
      expect(sealed.includes(token.subarray(start, start + 6))).toBe(false);
    }
  });

  it("throws SealedValueError when any byte was altered", () => {
    const sealed = keyspace.seal(key, token);
    for (const index of [1, 13, 29, sealed.length - 1]) {
      const tampered = Buffer.from(sealed);
      tampered[index] = tampered[index]! ^ 0x01;
      expect(() => keyspace.open(key, tampered)).toThrow(SealedValueError);
    }
    expect(() => keyspace.open(key, sealed.subarray(0, 20))).toThrow("stored value cannot be opened: too short to be a sealed value");
    const otherVersion = Buffer.from(sealed);
    otherVersion[0] = 9;
    expect(() => keyspace.open(key, otherVersion)).toThrow("stored value cannot be opened: unknown format version 9");
  });

  it("throws SealedValueError for a value moved to another key", () => {
    const sealed = keyspace.seal(key, token);
    expect(() => keyspace.open(keyspace.key("sf-result", "other"), sealed)).toThrow(
      "stored value cannot be opened: authentication failed (altered, moved from another key, or sealed under another gateway secret)",
    );
  });

  it("throws SealedValueError for a value sealed under another gateway secret", () => {
    const other = createKeyspace({ secret: randomBytes(32) });
    expect(() => keyspace.open(key, other.seal(key, token))).toThrow(SealedValueError);
  });
});

describe("createKeyspace", () => {
  it("refuses a secret shorter than 32 bytes, or not a Buffer", () => {
    expect(() => createKeyspace({ secret: Buffer.alloc(31) })).toThrow(
      "createKeyspace: secret must be a Buffer of at least 32 bytes (got 31 bytes)",
    );
    expect(() => createKeyspace({ secret: "x".repeat(40) as unknown as Buffer })).toThrow(
      "createKeyspace: secret must be a Buffer of at least 32 bytes (got string)",
    );
  });
});

describe("a keyspace without sealing (for the memory store: process memory only)", () => {
  const plain = createKeyspace({ secret, sealing: false });
  const key = plain.key("token-cache", "fingerprint");

  it("keeps a value as it is behind one format byte, and opens it again", () => {
    const stored = plain.seal(key, token);
    expect(stored).toEqual(Buffer.concat([Buffer.from([0]), token]));
    expect(plain.open(key, stored)).toEqual(token);
  });

  it("keeps an empty value too", () => {
    expect(plain.open(key, plain.seal(key, Buffer.alloc(0)))).toEqual(Buffer.alloc(0));
  });

  it("derives the same keys as a sealing keyspace under the same secret", () => {
    expect(plain.key("token-cache", "fingerprint")).toBe(keyspace.key("token-cache", "fingerprint"));
  });

  it("opens no sealed value, and a sealing keyspace opens no plain one: a store's values are one kind or refused", () => {
    expect(() => plain.open(key, keyspace.seal(key, token))).toThrow(new SealedValueError("not a value this process stored"));
    expect(() => keyspace.open(key, plain.seal(key, token))).toThrow(SealedValueError);
    expect(() => plain.open(key, Buffer.alloc(0))).toThrow(SealedValueError);
    expect(() => plain.open(key, "x" as unknown as Buffer)).toThrow(SealedValueError);
  });

  it("seals by default: only an explicit false turns it off", () => {
    expect(createKeyspace({ secret }).seal(key, token)).not.toEqual(Buffer.concat([Buffer.from([0]), token]));
    expect(createKeyspace({ secret, sealing: true }).seal(key, token)[0]).toBe(1);
  });
});
