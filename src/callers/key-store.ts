/**
 * Where created caller keys live: Redis when the gateway has one (every replica sees the same keys), a
 * JSON file the operator names otherwise (`auth.keyFile`). Both hold records only, never keys.
 */
import type { KeyRecord } from "./caller-key.js";

export interface KeyStore {
  /**
   * True when a read crosses the network (Redis): a known key's kept record is then re-read in the
   * background, never on a call's path. A local store (the file) is read on the path: it costs a `stat`.
   */
  readonly remote: boolean;
  /** The record stored under a key's hash, revoked or not; undefined when there is none. */
  findByHash(sha256: string): Promise<KeyRecord | undefined>;
  create(record: KeyRecord): Promise<void>;
  list(): Promise<KeyRecord[]>;
  /** Marks the key revoked (kept for the audit trail); undefined when no key has that id. */
  revoke(id: string, at: string): Promise<KeyRecord | undefined>;
  /** Called with a key's hash when another replica (or process) changed it. */
  onChange(listener: (sha256: string | undefined) => void): void;
  close(): Promise<void>;
}

/** A store with nothing in it: auth on, only the config's static keys, no place to create more. */
export function createEmptyKeyStore(): KeyStore {
  const refuse = (): never => {
    throw new Error("no key store: set auth.keyFile, or configure Redis");
  };
  return {
    remote: false,
    findByHash: async () => undefined,
    create: async () => refuse(),
    list: async () => [],
    revoke: async () => refuse(),
    onChange: () => {},
    close: async () => {},
  };
}
