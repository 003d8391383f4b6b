/**
 * A vendor can echo a credential in any string of its error body: the code, the type, the message, a
 * parameter name. For every vendor's error parser, on a 429 response and on an in-band stream error,
 * with each kind of key in each such field, the key must reach neither the ProviderError's message, nor
 * its vendor code, nor its cause, nor the log line that records the error with its cause chain.
 */
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../observability/logger.js";
import { anthropicErrorFromResponse, anthropicStreamError } from "./anthropic/anthropic-error.js";
import { geminiErrorFromResponse, geminiStreamError, readGeminiStatus } from "./gemini/gemini-error.js";
import { parseJsonLeniently } from "./http/json.js";
import { ollamaErrorFromResponse, ollamaStreamError, readOllamaErrorText } from "./ollama/ollama-error.js";
import { createOpenAIError } from "./openai/openai-error.js";
import type { ProviderError } from "./spec.js";

/** Each kind of credential, as a vendor would echo it, and the part of it that must never show. */
const secrets = [
  { name: "an OpenAI key", text: "sk-proj-abcDEF123ghiJKL456mnoPQR789stuVWX012yzA345", token: "abcDEF123ghiJKL456mnoPQR789stuVWX012yzA345" },
  { name: "an Anthropic key", text: "sk-ant-api03-AbC123dEf456GhI789jKl012MnO345pQr678StU901", token: "AbC123dEf456GhI789jKl012MnO345pQr678StU901" },
  { name: "a Google API key", text: "AIzaSyD4fG7hJ2kL9mN3pQ6rS8tU1vW5xY0zA2b", token: "D4fG7hJ2kL9mN3pQ6rS8tU1vW5xY0zA2b" },
  { name: "a bearer token", text: "Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0", token: "9f8e7d6c5b4a39281706f5e4d3c2b1a0" },
];

interface VendorCase {
  vendor: string;
  /** The vendor's error body with `secret` in `field`. */
  body(field: string, secret: string): string;
  /** The fields a vendor string can come in. */
  fields: string[];
  fromResponse(bodyText: string): ProviderError;
  fromStream(data: string): ProviderError;
}

const state = { usage: {}, afterContent: true };

const vendors: VendorCase[] = [
  {
    vendor: "openai",
    fields: ["code", "type", "message", "param"],
    body: (field, secret) =>
      JSON.stringify({ error: { message: "Rate limit reached.", type: "requests", param: null, code: "rate_limit_exceeded", [field]: secret } }),
    fromResponse: (bodyText) => createOpenAIError({ status: 429, headers: new Headers(), bodyText }),
    fromStream: (data) => createOpenAIError({ bodyText: data, ...state }),
  },
  {
    vendor: "anthropic",
    fields: ["type", "message", "error_code"],
    body: (field, secret) => {
      const error: Record<string, unknown> = { type: "rate_limit_error", message: "Rate limited.", details: { error_code: "rate_limit" } };
      if (field === "error_code") error.details = { error_code: secret };
      else error[field] = secret;
      return JSON.stringify({ type: "error", error, request_id: "req_011CSHoEeqs5C35K2UUqR7Fy" });
    },
    fromResponse: (bodyText) => anthropicErrorFromResponse(429, new Headers(), bodyText),
    fromStream: (data) => anthropicStreamError(data, state),
  },
  {
    vendor: "gemini",
    fields: ["status", "message", "reason"],
    body: (field, secret) => {
      const error: Record<string, unknown> = { code: 429, message: "Resource has been exhausted.", status: "RESOURCE_EXHAUSTED" };
      if (field === "reason") error.details = [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: secret }];
      else error[field] = secret;
      return JSON.stringify({ error });
    },
    fromResponse: (bodyText) => geminiErrorFromResponse(429, new Headers(), bodyText),
    fromStream: (data) => geminiStreamError(readGeminiStatus(parseJsonLeniently(data)) ?? { details: [] }, data, state),
  },
  {
    vendor: "ollama",
    fields: ["error"],
    body: (_field, secret) => JSON.stringify({ error: `too many requests for ${secret}` }),
    fromResponse: (bodyText) => ollamaErrorFromResponse(429, new Headers(), bodyText),
    fromStream: (line) => ollamaStreamError(readOllamaErrorText(parseJsonLeniently(line)) ?? "", line, state),
  },
];

/** Logs `error` as the routing layer does and returns the line written. */
function loggedLine(error: ProviderError): string {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk));
      callback();
    },
  });
  createLogger({ level: "info", destination }).error({ err: error, provider: "p" }, "attempt failed");
  return lines.join("");
}

function expectNoSecret(error: ProviderError, token: string): void {
  expect(error.message).not.toContain(token);
  expect(error.vendorCode ?? "").not.toContain(token);
  expect(JSON.stringify(error.cause)).not.toContain(token);
  const line = loggedLine(error);
  expect(line).toContain("attempt failed");
  expect(line).not.toContain(token);
}

describe("vendor error parsers keep credentials out of errors and logs", () => {
  for (const vendor of vendors) {
    for (const field of vendor.fields) {
      it(`${vendor.vendor}: a key in error ${field} reaches neither the message, the vendor code, the cause nor the log`, () => {
        for (const secret of secrets) {
          const body = vendor.body(field, secret.text);
          expect(body, secret.name).toContain(secret.token);
          const response = vendor.fromResponse(body);
          expect(response.kind, secret.name).toBe("rate-limited");
          expectNoSecret(response, secret.token);
          expectNoSecret(vendor.fromStream(body), secret.token);
        }
      });
    }
  }

  it("openai: a safe code is still named in the message and kept as the vendor code", () => {
    const error = createOpenAIError({
      status: 429,
      bodyText: JSON.stringify({ error: { message: "Rate limit reached.", type: "requests", code: "rate_limit_exceeded" } }),
    });
    expect(error.message).toBe("The upstream rate limit was reached (HTTP 429 rate_limit_exceeded).");
    expect(error.vendorCode).toBe("rate_limit_exceeded");
  });
});
