/**
 * The provider registry: one entry per vendor kind, and the only list of kinds. `ProviderKind` and the
 * config's `kind` enum derive from its keys, so adding a vendor is one folder plus one entry here; the
 * compiler then points at anything else that must know the new kind (e.g. the simulator's wire table).
 *
 * Importing the registry loads no vendor code: `create` imports the vendor's folder on first use, so
 * routing and the config can read the facts, a gateway loads only the vendors it is configured with, and
 * tests with fake adapters load none.
 */
import type { ProviderAdapter, ProviderSettings } from "./spec.js";

/** What modelgate knows about one vendor kind. */
export interface ProviderEntry {
  /** Used when a provider's config leaves `baseUrl` out; undefined when there is no well-known one. */
  readonly defaultBaseUrl: string | undefined;
  /** Whether the kind is unusable without an API key (routing disables such providers when it is empty). */
  readonly needsKey: boolean;
  /** Loads the vendor's adapter code and builds an adapter for one configured provider. */
  create(settings: ProviderSettings): Promise<ProviderAdapter>;
  /**
   * The simulator wire that answers this kind (`src/simulator/<wire>-wire.ts`), undefined when the kind
   * calls no upstream. Kinds speaking the same protocol share a wire.
   */
  readonly simulatorWire: string | undefined;
}

export const providerRegistry = {
  openai: {
    defaultBaseUrl: "https://api.openai.com/v1",
    needsKey: true,
    create: async (settings: ProviderSettings) => (await import("./openai/openai-adapter.js")).createOpenAIAdapter(settings),
    simulatorWire: "openai",
  },
  "openai-compatible": {
    defaultBaseUrl: undefined,
    needsKey: false,
    create: async (settings: ProviderSettings) =>
      (await import("./openai-compatible/openai-compatible-adapter.js")).createOpenAICompatibleAdapter(settings),
    simulatorWire: "openai",
  },
  anthropic: {
    defaultBaseUrl: "https://api.anthropic.com",
    needsKey: true,
    create: async (settings: ProviderSettings) => (await import("./anthropic/anthropic-adapter.js")).createAnthropicAdapter(settings),
    simulatorWire: "anthropic",
  },
  gemini: {
    defaultBaseUrl: "https://generativelanguage.googleapis.com/v1beta",
    needsKey: true,
    create: async (settings: ProviderSettings) => (await import("./gemini/gemini-adapter.js")).createGeminiAdapter(settings),
    simulatorWire: "gemini",
  },
  ollama: {
    defaultBaseUrl: "http://127.0.0.1:11434",
    needsKey: false,
    create: async (settings: ProviderSettings) => (await import("./ollama/ollama-adapter.js")).createOllamaAdapter(settings),
    simulatorWire: "ollama",
  },
  echo: {
    // Never dialled: the echo adapter answers in process.
    defaultBaseUrl: "http://echo.invalid",
    needsKey: false,
    create: async () => (await import("./echo/echo-adapter.js")).createEchoAdapter(),
    simulatorWire: undefined,
  },
} as const satisfies Record<string, ProviderEntry>;

/** The vendor protocols modelgate speaks: the registry's keys. */
export type ProviderKind = keyof typeof providerRegistry;

/** Every kind, in registry order (for the config's enum and for tests that cover each kind). */
export const providerKinds = Object.keys(providerRegistry) as ProviderKind[];

/** The wires the vendor simulator must speak: every `simulatorWire` some kind names. */
export type SimulatorWire = NonNullable<(typeof providerRegistry)[ProviderKind]["simulatorWire"]>;

/** The entry for `kind`. */
export function providerEntry(kind: ProviderKind): ProviderEntry {
  return providerRegistry[kind];
}
