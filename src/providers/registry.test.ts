import { describe, expect, it } from "vitest";
import { providerSchema } from "../config/schema.js";
import { providerEntry, providerKinds, providerRegistry } from "./registry.js";

describe("providerRegistry", () => {
  it.each(providerKinds)("creates the adapter for the %s kind", async (kind) => {
    const adapter = await providerEntry(kind).create({ name: kind, kind, baseUrl: "http://127.0.0.1:9/v1", headers: {}, maxConnections: 1 });
    expect(adapter.kind).toBe(kind);
    await adapter.close();
  });

  it("lists every entry as a kind, and the config accepts exactly those kinds", () => {
    expect(providerKinds).toEqual(Object.keys(providerRegistry));
    for (const kind of providerKinds) expect(providerSchema.safeParse({ kind }).success).toBe(true);
    expect(providerSchema.safeParse({ kind: "not-a-vendor" }).success).toBe(false);
  });
});
