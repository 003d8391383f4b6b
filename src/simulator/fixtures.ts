/**
 * Byte-exact replay of recorded response bodies from fixtures/providers/. An `.sse` file is sent one
 * event per write (split after each blank line, `\n\n` or Gemini's `\r\n\r\n`), an `.ndjson` file one
 * line per write, a `.json` file as one body. A name containing `error-NNN` is sent with status NNN.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { packageRoot } from "../package-root.js";
import type { Vendor } from "./behavior.js";
import { VENDORS } from "./behavior.js";
import type { StreamResponse, UnaryResponse, VendorWire, WireEvent } from "./wire.js";

/**
 * The shared recordings: `<repo>/../shared/fixtures/providers`, overridable by MODELGATE_SIM_FIXTURES.
 * Found from the package root, so it is the same from src/ and from the bundle in dist/.
 */
export const DEFAULT_FIXTURES_DIR = process.env.MODELGATE_SIM_FIXTURES ?? path.resolve(packageRoot(), "../shared/fixtures/providers");

export interface Fixture {
  kind: "json" | "sse" | "ndjson";
  /** The vendor folder the file lives in, when it is one of the four. */
  vendor?: Vendor;
  status: number;
  bytes: Buffer;
  /** The body cut into events whose concatenation is exactly `bytes`. */
  events: Buffer[];
}

const cache = new Map<string, Promise<Fixture>>();

/** Loads (once) a fixture by path relative to `dir`; refuses paths that leave `dir`. */
export function loadFixture(dir: string, relative: string): Promise<Fixture> {
  const root = path.resolve(dir);
  const file = path.resolve(root, relative);
  if (!file.startsWith(root + path.sep)) return Promise.reject(new Error(`fixture path escapes ${root}: ${relative}`));
  let loaded = cache.get(file);
  if (loaded === undefined) {
    loaded = readFixture(file, relative);
    loaded.catch(() => cache.delete(file));
    cache.set(file, loaded);
  }
  return loaded;
}

async function readFixture(file: string, relative: string): Promise<Fixture> {
  const kind = file.endsWith(".sse") ? "sse" : file.endsWith(".ndjson") ? "ndjson" : file.endsWith(".json") ? "json" : undefined;
  if (kind === undefined) throw new Error(`unsupported fixture type (want .sse, .ndjson or .json): ${relative}`);
  const bytes = await readFile(file);
  const folder = relative.split(/[\\/]/)[0] as Vendor;
  const statusMatch = /error-(\d{3})/.exec(path.basename(file));
  return {
    kind,
    vendor: VENDORS.includes(folder) ? folder : undefined,
    status: statusMatch ? Number(statusMatch[1]) : 200,
    bytes,
    events: kind === "json" ? [bytes] : splitEvents(bytes, kind === "sse" ? /\r\n\r\n|\n\n/g : /\n/g),
  };
}

/** Cuts after every separator match; a trailing remainder becomes the last event. */
function splitEvents(bytes: Buffer, separator: RegExp): Buffer[] {
  // latin1 maps bytes 1:1 to chars, so string offsets are byte offsets.
  const text = bytes.toString("latin1");
  const events: Buffer[] = [];
  let start = 0;
  for (const match of text.matchAll(separator)) {
    const end = (match.index ?? 0) + match[0].length;
    events.push(bytes.subarray(start, end));
    start = end;
  }
  if (start < bytes.length) events.push(bytes.subarray(start));
  return events;
}

/** The response for a fixture: every event counts as content, the last one is also the terminator. */
export function fixtureResponse(fixture: Fixture, wire: VendorWire): { unary: UnaryResponse } | { stream: StreamResponse } {
  if (fixture.kind === "json") {
    return { unary: { status: fixture.status, headers: { "content-type": wire.contentTypes.json }, body: fixture.bytes } };
  }
  const contentType = fixture.kind === "ndjson" ? "application/x-ndjson" : wire.contentTypes.stream;
  const events: WireEvent[] = fixture.events.map((bytes, index) => ({
    bytes,
    content: true,
    terminal: index === fixture.events.length - 1,
  }));
  return { stream: { headers: { "content-type": contentType }, events } };
}
