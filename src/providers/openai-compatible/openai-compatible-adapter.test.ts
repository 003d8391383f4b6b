import type { ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { collectStream } from "../http/stream-to-result.js";
import { createTestCall } from "../http/test-support/create-test-call.js";
import { startTestServer, type RecordedRequest } from "../http/test-support/start-test-server.js";
import type { ProviderAdapter, ProviderSettings } from "../spec.js";
import { createOpenAICompatibleAdapter } from "./openai-compatible-adapter.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

function reply(response: ServerResponse): void {
  response.writeHead(200, { "content-type": "text/event-stream" });
  response.write(`data: ${JSON.stringify({ id: "1", model: "m", choices: [{ index: 0, delta: { content: "hi" }, finish_reason: "stop" }] })}\n\n`);
  response.end("data: [DONE]\n\n");
}

async function setup(settings: Partial<ProviderSettings>, basePath: string): Promise<{ adapter: ProviderAdapter; requests: RecordedRequest[] }> {
  const server = await startTestServer((_request, response) => reply(response), basePath);
  const adapter = createOpenAICompatibleAdapter({
    name: "compatible",
    kind: "openai-compatible",
    baseUrl: server.baseUrl,
    headers: {},
    maxConnections: 2,
    ...settings,
  });
  cleanups.push(() => server.close(), () => adapter.close());
  return { adapter, requests: server.requests };
}

describe("createOpenAICompatibleAdapter", () => {
  it("posts to the deployment URL with api-version and an api-key header in Azure mode", async () => {
    const { adapter, requests } = await setup({ apiKey: "azure-key", azureApiVersion: "2024-10-21" }, "");
    await collectStream(adapter.stream(createTestCall({ vendorModel: "my-gpt4o", sampling: { maxOutputTokens: 5, stopSequences: [] } }), new AbortController().signal));
    expect(requests[0].url).toBe("/openai/deployments/my-gpt4o/chat/completions?api-version=2024-10-21");
    expect(requests[0].headers["api-key"]).toBe("azure-key");
    expect(requests[0].headers.authorization).toBeUndefined();
    expect(JSON.parse(requests[0].body)).toMatchObject({ max_completion_tokens: 5 });
  });

  it("uses Bearer auth, max_tokens and configured headers for other servers", async () => {
    const { adapter, requests } = await setup({ apiKey: "gsk-key", headers: { "x-extra": "1" } }, "/openai/v1");
    const result = await collectStream(
      adapter.stream(createTestCall({ sampling: { maxOutputTokens: 5, stopSequences: [] } }), new AbortController().signal),
    );
    expect(requests[0].url).toBe("/openai/v1/chat/completions");
    expect(requests[0].headers.authorization).toBe("Bearer gsk-key");
    expect(requests[0].headers["x-extra"]).toBe("1");
    expect(JSON.parse(requests[0].body)).toMatchObject({ max_tokens: 5, stream_options: { include_usage: true } });
    expect(result).toMatchObject({ text: "hi", finishReason: "stop", usage: {} });
    expect(adapter.kind).toBe("openai-compatible");
  });

  it("sends no authorization header when no key is configured", async () => {
    const { adapter, requests } = await setup({}, "/v1");
    await collectStream(adapter.stream(createTestCall(), new AbortController().signal));
    expect(requests[0].headers.authorization).toBeUndefined();
  });
});
