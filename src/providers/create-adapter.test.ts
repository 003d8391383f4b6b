import { describe, expect, it } from "vitest";
import { createAdapter } from "./create-adapter.js";
import type { ProviderKind } from "./spec.js";

describe("createAdapter", () => {
  it.each<ProviderKind>(["openai", "openai-compatible", "anthropic", "gemini", "ollama", "echo"])(
    "creates the adapter for the %s kind",
    async (kind) => {
      const adapter = createAdapter({ name: kind, kind, baseUrl: "http://127.0.0.1:9/v1", headers: {}, maxConnections: 1 });
      expect(adapter.kind).toBe(kind);
      await adapter.close();
    },
  );
});
