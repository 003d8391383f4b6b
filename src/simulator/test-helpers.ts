/**
 * Small helpers shared by the simulator tests: request bodies per vendor, SSE/NDJSON parsing, and key
 * paths for comparing a response's structure with a recorded fixture's.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { Vendor } from "./behavior.js";
import { DEFAULT_FIXTURES_DIR } from "./fixtures.js";
import type { Simulator } from "./server.js";

export interface SseEvent {
  event?: string;
  data: string;
}

/** Splits an SSE body on blank lines (`\n\n` or `\r\n\r\n`) into events. */
export function parseSse(text: string): SseEvent[] {
  return text
    .split(/\r?\n\r?\n/)
    .filter((block) => block.trim() !== "")
    .map((block) => {
      const event: SseEvent = { data: "" };
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith("event: ")) event.event = line.slice(7);
        else if (line.startsWith("data: ")) event.data += line.slice(6);
      }
      return event;
    });
}

export function parseNdjson(text: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Every key path in a JSON value ("choices[].delta.content"), to compare structures, not values. */
export function keyPaths(value: unknown, prefix = "", out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) keyPaths(item, `${prefix}[]`, out);
  } else if (value !== null && typeof value === "object") {
    for (const [key, inner] of Object.entries(value)) {
      const here = prefix === "" ? key : `${prefix}.${key}`;
      out.add(here);
      keyPaths(inner, here, out);
    }
  }
  return out;
}

export function fixtureText(relative: string): string {
  return readFileSync(path.join(DEFAULT_FIXTURES_DIR, relative), "utf8");
}

export function fixtureBytes(relative: string): Buffer {
  return readFileSync(path.join(DEFAULT_FIXTURES_DIR, relative));
}

/** Key paths over all JSON payloads of SSE or NDJSON text (skipping `[DONE]`). */
export function payloadPaths(payloads: string[]): Set<string> {
  const out = new Set<string>();
  for (const payload of payloads) if (payload !== "[DONE]") keyPaths(JSON.parse(payload), "", out);
  return out;
}

export function missingFrom(actual: Set<string>, allowed: Set<string>): string[] {
  return [...actual].filter((key) => !allowed.has(key));
}

/** A minimal valid request for each vendor: path and body. */
export function requestFor(vendor: Vendor, options: { stream: boolean; model?: string; text?: string }): { path: string; body: Record<string, unknown> } {
  const text = options.text ?? "What is the capital of France?";
  switch (vendor) {
    case "openai":
      return { path: "/v1/chat/completions", body: { model: options.model ?? "gpt-4.1", messages: [{ role: "user", content: text }], stream: options.stream } };
    case "anthropic":
      return {
        path: "/v1/messages",
        body: { model: options.model ?? "claude-sonnet-4-5", max_tokens: 100, messages: [{ role: "user", content: text }], stream: options.stream },
      };
    case "gemini": {
      const model = options.model ?? "gemini-2.5-flash";
      const method = options.stream ? "streamGenerateContent?alt=sse" : "generateContent";
      return { path: `/v1beta/models/${model}:${method}`, body: { contents: [{ role: "user", parts: [{ text }] }] } };
    }
    case "ollama":
      return { path: "/api/chat", body: { model: options.model ?? "gemma3:1b", messages: [{ role: "user", content: text }], stream: options.stream } };
  }
}

export function call(simulator: Simulator, vendor: Vendor, options: { stream: boolean; model?: string; text?: string; signal?: AbortSignal }): Promise<Response> {
  const { path: requestPath, body } = requestFor(vendor, options);
  return fetch(`${simulator.url}${requestPath}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer sk-test-123" },
    body: JSON.stringify(body),
    signal: options.signal,
  });
}
