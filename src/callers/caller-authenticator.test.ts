import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { authSchema, type AuthConfig } from "../config/schema.js";
import { createLogger } from "../observability/logger.js";
import { createCallerAuthenticator } from "./caller-authenticator.js";
import { generateCallerKey, hashCallerKey, newKeyId } from "./caller-key.js";
import { createFileKeyStore } from "./file-key-store.js";
import { createEmptyKeyStore } from "./key-store.js";

const logger = createLogger({ level: "silent" });
const directories: string[] = [];
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

function staticConfig(key: string, policy: Record<string, unknown> = {}): AuthConfig {
  return authSchema.parse({ keys: [{ id: "checkout", sha256: hashCallerKey(key), policy: { metadata: { team: "payments" }, ...policy } }] });
}

describe("the caller authenticator", () => {
  it("names the caller of a static key by its id and metadata", async () => {
    const key = generateCallerKey();
    const authenticator = createCallerAuthenticator({ config: () => staticConfig(key), store: createEmptyKeyStore(), logger });
    const caller = await authenticator.authenticate(`Bearer ${key}`);
    expect(caller?.caller).toEqual({ id: "checkout", team: "payments", service: undefined, environment: undefined });
  });

  it("refuses a missing, malformed or unknown key with UNAUTHENTICATED, never echoing the key", async () => {
    const key = generateCallerKey();
    const authenticator = createCallerAuthenticator({ config: () => staticConfig(key), store: createEmptyKeyStore(), logger });
    for (const header of [undefined, "", "Basic abc", `Bearer ${generateCallerKey()}`]) {
      const error = await authenticator.authenticate(header).catch((thrown: unknown) => thrown);
      expect(error).toMatchObject({ reason: "UNAUTHENTICATED" });
      expect(JSON.stringify({ message: (error as Error).message })).not.toContain("mgk_");
    }
  });

  it("lets everyone through, anonymously, without an auth section or with it turned off", async () => {
    expect(await createCallerAuthenticator({ config: () => undefined, store: createEmptyKeyStore(), logger }).authenticate(undefined)).toBeUndefined();
    const off = authSchema.parse({ enabled: false });
    expect(await createCallerAuthenticator({ config: () => off, store: createEmptyKeyStore(), logger }).authenticate(undefined)).toBeUndefined();
  });

  it("refuses a model outside the key's aliases with PERMISSION_DENIED", async () => {
    const key = generateCallerKey();
    const authenticator = createCallerAuthenticator({ config: () => staticConfig(key, { aliases: ["chat"] }), store: createEmptyKeyStore(), logger });
    const caller = await authenticator.authenticate(`Bearer ${key}`);
    expect(() => authenticator.authorize(caller!, "chat")).not.toThrow();
    expect(() => authenticator.authorize(caller!, "gpt-4o")).toThrow(expect.objectContaining({ reason: "PERMISSION_DENIED" }));
  });

  it("keeps file-stored keys across a restart as hashes only, and honours a revocation from another process", async () => {
    const directory = mkdtempSync(join(tmpdir(), "modelgate-keys-"));
    directories.push(directory);
    const path = join(directory, "keys.json");
    const key = generateCallerKey();
    const writer = createFileKeyStore({ path });
    const id = newKeyId();
    await writer.create({ id, sha256: hashCallerKey(key), name: "batch", policy: { metadata: {} }, createdAt: new Date().toISOString(), source: "store" });
    expect(readFileSync(path, "utf8")).not.toContain(key);

    let now = 0;
    const config = authSchema.parse({});
    const reader = createCallerAuthenticator({ config: () => config, store: createFileKeyStore({ path, recheckMs: 0 }), logger, cacheMs: 500, now: () => now });
    expect((await reader.authenticate(`Bearer ${key}`))?.keyId).toBe(id);
    await writer.revoke(id, new Date().toISOString());
    now += 500;
    await expect(reader.authenticate(`Bearer ${key}`)).rejects.toMatchObject({ reason: "UNAUTHENTICATED" });
  });

  it("never makes a known key wait on a remote store: a stale copy serves while it is re-read, and an announced change drops it", async () => {
    const key = generateCallerKey();
    const sha256 = hashCallerKey(key);
    const record = { id: "k1", sha256, name: "k1", policy: { metadata: {} }, createdAt: "", source: "store" as const };
    let answer: Promise<typeof record | undefined> = Promise.resolve(record);
    let reads = 0;
    let announce: (sha: string | undefined) => void = () => {};
    const store = {
      ...createEmptyKeyStore(),
      remote: true,
      findByHash: () => {
        reads++;
        return answer;
      },
      onChange: (listener: (sha: string | undefined) => void) => (announce = listener),
    };
    let now = 0;
    const config = authSchema.parse({});
    const authenticator = createCallerAuthenticator({ config: () => config, store, logger, cacheMs: 500, now: () => now });
    expect((await authenticator.authenticate(`Bearer ${key}`))?.keyId).toBe("k1");
    // Redis hangs: the stale copy answers at once, and one re-read (not one per call) is under way.
    answer = new Promise(() => {});
    now += 1_000;
    for (let call = 0; call < 3; call++) expect((await authenticator.authenticate(`Bearer ${key}`))?.keyId).toBe("k1");
    expect(reads).toBe(2);
    // "Anything may have changed" (a reconnected subscriber): the copy is re-read, and serves meanwhile.
    announce(undefined);
    expect((await authenticator.authenticate(`Bearer ${key}`))?.keyId).toBe("k1");
    expect(reads).toBe(3);
    // A revocation announced by the store is seen by the next call, which reads afresh.
    answer = Promise.resolve({ ...record, revokedAt: "2026-12-07T00:00:00Z" });
    announce(sha256);
    await expect(authenticator.authenticate(`Bearer ${key}`)).rejects.toMatchObject({ reason: "UNAUTHENTICATED" });
  });
});
