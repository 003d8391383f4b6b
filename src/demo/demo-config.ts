/**
 * The demo's gateway config: every deployment points at the local vendor simulators, so the demo needs
 * no keys and no network. Prices are the built-in table's; breaker timings are short so the demo can show
 * a breaker opening and recovering in a few seconds.
 */
import { hashCallerKey } from "../callers/caller-key.js";
import { authSchema, configSchema, type AuthConfig, type GatewayConfig } from "../config/schema.js";
import type { Simulator } from "../simulator/index.js";

export function createDemoConfig(simulator: Simulator): GatewayConfig {
  return configSchema.parse({
    server: { host: "127.0.0.1", port: 0, logLevel: "warn" },
    providers: {
      openai: { kind: "openai", baseUrl: simulator.baseUrl("openai"), apiKey: "sim-key" },
      anthropic: { kind: "anthropic", baseUrl: simulator.baseUrl("anthropic"), apiKey: "sim-key" },
      gemini: { kind: "gemini", baseUrl: simulator.baseUrl("gemini"), apiKey: "sim-key" },
      ollama: { kind: "ollama", baseUrl: simulator.baseUrl("ollama") },
    },
    deployments: {
      "gpt-4.1": { provider: "openai", model: "gpt-4.1", contextWindow: 1_047_576 },
      "gpt-4.1-mini": { provider: "openai", model: "gpt-4.1-mini", contextWindow: 1_047_576 },
      "claude-sonnet": { provider: "anthropic", model: "claude-sonnet-4-5", contextWindow: 200_000 },
      "claude-haiku": { provider: "anthropic", model: "claude-haiku-4-5", contextWindow: 200_000 },
      "gemini-flash": { provider: "gemini", model: "gemini-2.5-flash", contextWindow: 1_048_576 },
      "gemini-flash-lite": { provider: "gemini", model: "gemini-2.5-flash-lite", contextWindow: 1_048_576 },
      "llama-local": {
        provider: "ollama",
        model: "llama3.2",
        contextWindow: 131_072,
        price: { inputNanoUsd: 0, cachedInputNanoUsd: 0, outputNanoUsd: 0, asOf: "2026-11-01" },
      },
    },
    aliases: {
      chat: { strategy: "priority", tiers: [["claude-sonnet"], ["gpt-4.1"], ["gemini-flash"]] },
      cheapest: { strategy: "cost", tiers: [["gpt-4.1", "claude-sonnet", "gemini-flash-lite"]] },
      fastest: { strategy: "latency", tiers: [["gpt-4.1-mini", "claude-haiku", "gemini-flash"]] },
      canary: {
        strategy: "weighted",
        tiers: [["gpt-4.1-mini", "claude-haiku"]],
        weights: { "gpt-4.1-mini": 90, "claude-haiku": 10 },
      },
    },
    routing: {
      breaker: { consecutiveFailures: 3, minimumRequests: 5, openMs: 1_500, maxOpenMs: 10_000, windowMs: 10_000 },
      retry: { maxAttempts: 4, maxRetriesPerDeployment: 0, baseDelayMs: 20, maxDelayMs: 200 },
    },
  });
}

/**
 * The `auth` section of the demo's second gateway: one static key, listed by its SHA-256 as in
 * modelgate.example.yaml, allowed the `chat` alias only.
 */
export function createDemoAuth(key: string): AuthConfig {
  return authSchema.parse({
    keys: [{ id: "demo-team", sha256: hashCallerKey(key), policy: { aliases: ["chat"], requestsPerMinute: 60, metadata: { team: "demo" } } }],
  });
}
