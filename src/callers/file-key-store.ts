/**
 * Caller keys in a JSON file (`auth.keyFile`), for a gateway without Redis: created keys survive a
 * restart. The file holds records (hashes), never keys, and is written whole (a temporary file renamed
 * over it, mode 0600). Another process may change it (a second gateway on the host, an operator): a read
 * re-loads it when its modification time changed, checked at most every `recheckMs`, so a revocation
 * reaches every process on the host within that.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { KeyRecord } from "./caller-key.js";
import type { KeyStore } from "./key-store.js";

interface KeyFile {
  version: 1;
  keys: KeyRecord[];
}

export interface FileKeyStoreOptions {
  path: string;
  recheckMs?: number;
  now?: () => number;
}

export function createFileKeyStore(options: FileKeyStoreOptions): KeyStore {
  const { path } = options;
  const recheckMs = options.recheckMs ?? 250;
  const now = options.now ?? Date.now;
  const listeners: ((sha256: string | undefined) => void)[] = [];
  let byHash = new Map<string, KeyRecord>();
  let loadedMtimeMs = -1;
  let checkedAt = -Infinity;

  const modifiedAt = (): number => (existsSync(path) ? statSync(path).mtimeMs : 0);
  const load = (): void => {
    const mtime = modifiedAt();
    if (mtime === loadedMtimeMs) return;
    const file: KeyFile = mtime === 0 ? { version: 1, keys: [] } : (JSON.parse(readFileSync(path, "utf8")) as KeyFile);
    const wasLoaded = loadedMtimeMs !== -1;
    byHash = new Map(file.keys.map((record) => [record.sha256, { ...record, source: "store" as const }]));
    loadedMtimeMs = mtime;
    if (wasLoaded) for (const listener of listeners) listener(undefined);
  };
  const fresh = (): void => {
    if (now() - checkedAt < recheckMs) return;
    checkedAt = now();
    load();
  };
  const save = (): void => {
    mkdirSync(dirname(path), { recursive: true });
    const file: KeyFile = { version: 1, keys: [...byHash.values()] };
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
    renameSync(temporary, path);
    loadedMtimeMs = modifiedAt();
  };
  load();

  return {
    remote: false,
    async findByHash(sha256) {
      fresh();
      return byHash.get(sha256);
    },
    async create(record) {
      load();
      byHash.set(record.sha256, { ...record, source: "store" });
      save();
    },
    async list() {
      load();
      return [...byHash.values()];
    },
    async revoke(id, at) {
      load();
      const record = [...byHash.values()].find((candidate) => candidate.id === id);
      if (record === undefined) return undefined;
      const revoked = { ...record, revokedAt: record.revokedAt ?? at };
      byHash.set(record.sha256, revoked);
      save();
      return revoked;
    },
    onChange(listener) {
      listeners.push(listener);
    },
    async close() {},
  };
}
