/**
 * Issue 20's "done means": the official `openai` SDK as the client of the gateway's OpenAI-compatible
 * edge (src/server/openai/), with the vendor simulator behind it (OpenAI and Anthropic wires, so a
 * chat completion really is translated to another vendor and back). The simulator is the witness of
 * what reached the vendor and when the gateway hung up.
 */
import OpenAI, { APIError, AuthenticationError, BadRequestError, NotFoundError, RateLimitError } from "openai";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { configSchema } from "../../src/config/schema.js";
import { GatewayError } from "../../src/gateway/types.js";
import { createLogger } from "../../src/observability/logger.js";
import { createGatewayEngine } from "../../src/routing/create-gateway-engine.js";
import { createGatewayServer } from "../../src/server/create-server.js";
import { startSimulator, type Simulator } from "../../src/simulator/index.js";
import { pollUntil, sleep, startGateway, type E2EGateway } from "./harness.js";

let sim: Simulator;
let gateway: E2EGateway | undefined;

function fragment(): Record<string, unknown> {
  return {
    providers: {
      "sim-openai": { kind: "openai", baseUrl: sim.baseUrl("openai"), apiKey: "sim-key" },
      "sim-anthropic": { kind: "anthropic", baseUrl: sim.baseUrl("anthropic"), apiKey: "sim-key" },
    },
    deployments: {
      gpt: { provider: "sim-openai", model: "sim-gpt", price: { inputNanoUsd: 1_000, outputNanoUsd: 2_000, asOf: "2025-01-01" }, capabilities: { jsonSchema: true } },
      claude: { provider: "sim-anthropic", model: "sim-claude" },
    },
    aliases: { chat: { tiers: [["gpt"]] }, "chat-claude": { tiers: [["claude"]] } },
    routing: { retry: { maxRetriesPerDeployment: 0 } },
  };
}

function sdk(): OpenAI {
  if (gateway === undefined) throw new Error("no gateway");
  return new OpenAI({ baseURL: `${gateway.server.url}/v1`, apiKey: "unused-until-caller-keys", maxRetries: 0 });
}

beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
});
afterAll(async () => {
  await sim?.close();
});
beforeEach(async () => {
  sim.reset();
  gateway = await startGateway(fragment());
});
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

describe("the OpenAI-compatible edge through the openai SDK", () => {
  it("answers a unary completion with OpenAI's shape, usage, route headers and the caller's request id", async () => {
    sim.program({ model: "sim-gpt", behavior: { text: "Paris is the capital of France.", usage: { inputTokens: 12, outputTokens: 7 } } });
    const { data, response } = await sdk()
      .chat.completions.create(
        { model: "chat", messages: [{ role: "user", content: "Capital of France?" }], max_tokens: 50, temperature: 0.2, seed: 7, stop: ["\n\n"], user: "u-1" },
        { headers: { "x-request-id": "req-openai-1" } },
      )
      .withResponse();
    expect(data).toMatchObject({
      id: "chatcmpl-req-openai-1",
      object: "chat.completion",
      model: "chat",
      choices: [{ index: 0, message: { role: "assistant", content: "Paris is the capital of France." }, finish_reason: "stop" }],
      usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 },
    });
    expect(response.headers.get("x-request-id")).toBe("req-openai-1");
    expect(response.headers.get("x-modelgate-deployment")).toBe("gpt");
    expect(response.headers.get("x-modelgate-attempts")).toBe("1");
    expect(response.headers.get("x-modelgate-cost-micro-usd")).toBe("26");
    const upstream = sim.requests[0].body as Record<string, unknown>;
    expect(upstream).toMatchObject({ model: "sim-gpt", temperature: 0.2, seed: 7, stop: ["\n\n"] });
  });

  it("streams role first, text, the finish reason, then usage when asked, and ends with [DONE]", async () => {
    sim.program({ model: "sim-gpt", behavior: { text: "one two three four", usage: { inputTokens: 5, outputTokens: 4 }, tokenIntervalMs: 2 } });
    const stream = await sdk().chat.completions.create({
      model: "chat",
      messages: [{ role: "user", content: "count" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0].choices[0].delta.role).toBe("assistant");
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("")).toBe("one two three four");
    const finish = chunks.findIndex((chunk) => chunk.choices[0]?.finish_reason === "stop");
    expect(finish).toBe(chunks.length - 2);
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 });
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
  });

  it("streams without a usage chunk when include_usage is not set, and the SDK's stream helper assembles it", async () => {
    sim.program({ model: "sim-gpt", behavior: { text: "hello there", tokenIntervalMs: 1 } });
    const runner = sdk().chat.completions.stream({ model: "chat", messages: [{ role: "user", content: "hi" }] });
    const final = await runner.finalChatCompletion();
    expect(final.choices[0].message.content).toBe("hello there");
    expect(final.choices[0].finish_reason).toBe("stop");
  });

  it("round-trips a streamed tool call through an Anthropic deployment", async () => {
    // Newest rules match first: the tool call answers once, then the text.
    sim.program({ model: "sim-claude", behavior: { text: "It is 21 degrees in Paris." } });
    sim.program({
      model: "sim-claude",
      times: 1,
      behavior: { toolCalls: [{ id: "toolu_1", name: "get_weather", arguments: { city: "Paris", unit: "celsius" } }], chunkChars: 5 },
    });
    const client = sdk();
    const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [
      {
        type: "function",
        function: {
          name: "get_weather",
          description: "Current weather",
          parameters: { type: "object", properties: { city: { type: "string" }, unit: { type: "string" } }, required: ["city"] },
        },
      },
    ];
    const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [{ role: "user", content: "Weather in Paris?" }];
    const runner = client.chat.completions.stream({ model: "chat-claude", messages, tools, tool_choice: "auto" });
    const fragments: string[] = [];
    runner.on("chunk", (chunk) => {
      for (const call of chunk.choices[0]?.delta.tool_calls ?? []) if (call.function?.arguments) fragments.push(call.function.arguments);
    });
    const first = await runner.finalChatCompletion();
    expect(fragments.length).toBeGreaterThan(1);
    expect(first.choices[0].finish_reason).toBe("tool_calls");
    const call = first.choices[0].message.tool_calls?.[0];
    expect(call).toMatchObject({ id: "toolu_1", type: "function", function: { name: "get_weather" } });
    if (call?.type !== "function") throw new Error("expected a function call");
    expect(JSON.parse(call.function.arguments)).toEqual({ city: "Paris", unit: "celsius" });

    const second = await client.chat.completions.create({
      model: "chat-claude",
      tools,
      messages: [...messages, first.choices[0].message, { role: "tool", tool_call_id: call.id, content: '{"temperature":21}' }],
    });
    expect(second.choices[0].message.content).toBe("It is 21 degrees in Paris.");
    const upstream = sim.requests[1].body as { messages: { role: string; content: unknown }[] };
    expect(JSON.stringify(upstream.messages)).toContain('"tool_use_id":"toolu_1"');
  });

  it("asks for json_schema output and returns the model's JSON", async () => {
    sim.program({ model: "sim-gpt", behavior: { text: '{"city":"Paris","population":2100000}' } });
    const completion = await sdk().chat.completions.create({
      model: "chat",
      messages: [{ role: "user", content: "Largest French city as JSON" }],
      response_format: {
        type: "json_schema",
        json_schema: {
          name: "city",
          strict: true,
          schema: { type: "object", properties: { city: { type: "string" }, population: { type: "integer" } }, required: ["city", "population"], additionalProperties: false },
        },
      },
    });
    expect(JSON.parse(completion.choices[0].message.content ?? "")).toEqual({ city: "Paris", population: 2_100_000 });
    expect(sim.requests[0].body).toMatchObject({ response_format: { type: "json_schema", json_schema: { name: "city", strict: true } } });
  });

  it("lists the aliases and deployments a caller may name", async () => {
    const ids: string[] = [];
    for await (const model of sdk().models.list()) ids.push(model.id);
    expect(ids).toEqual(["chat", "chat-claude", "claude", "gpt"]);
    await expect(sdk().models.retrieve("chat")).resolves.toMatchObject({ id: "chat", object: "model", owned_by: "modelgate" });
  });
});

describe("errors as the SDK's typed errors", () => {
  it("an unknown model is a NotFoundError naming the model parameter", async () => {
    const error = await sdk()
      .chat.completions.create({ model: "no-such-model", messages: [{ role: "user", content: "hi" }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ status: 404, code: "model_not_found", param: "model", type: "invalid_request_error" });
    expect(sim.requests).toHaveLength(0);
  });

  it("an upstream 429 is a RateLimitError with the vendor's retry-after", async () => {
    sim.program({ model: "sim-gpt", behavior: { fault: { kind: "status", status: 429, retryAfter: "7" } } });
    const error = await sdk()
      .chat.completions.create({ model: "chat", messages: [{ role: "user", content: "hi" }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RateLimitError);
    const rateLimited = error as RateLimitError;
    expect(rateLimited.headers.get("retry-after")).toBe("7");
    expect(Number(rateLimited.headers.get("retry-after-ms"))).toBeGreaterThan(6_000);
    expect(rateLimited.headers.get("x-modelgate-error-reason")).toBe("PROVIDER_RATE_LIMITED");
  });

  it("a wrong type is a BadRequestError with OpenAI's param, before any upstream call", async () => {
    const error = await sdk()
      .chat.completions.create({ model: "chat", messages: [{ role: "user", content: "hi" }], temperature: "hot" as unknown as number })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({ status: 400, param: "temperature", code: "invalid_type" });
    expect(sim.requests).toHaveLength(0);
  });

  it("a value the contract refuses names the OpenAI parameter, and n other than 1 is refused clearly", async () => {
    const outOfRange = await sdk()
      .chat.completions.create({ model: "chat", messages: [{ role: "user", content: "hi" }], temperature: 3 })
      .catch((caught: unknown) => caught);
    expect(outOfRange).toMatchObject({ status: 400, param: "temperature" });
    const manyChoices = await sdk()
      .chat.completions.create({ model: "chat", messages: [{ role: "user", content: "hi" }], n: 2 })
      .catch((caught: unknown) => caught);
    expect(manyChoices).toBeInstanceOf(BadRequestError);
    expect(manyChoices).toMatchObject({ param: "n" });
    expect((manyChoices as Error).message).toContain("n=1");
    expect(sim.requests).toHaveLength(0);
  });

  it("refuses a body over server.maxMessageBytes with 413 before reading it all", async () => {
    const huge = "x".repeat(5 * 1024 * 1024);
    const error = await sdk()
      .chat.completions.create({ model: "chat", messages: [{ role: "user", content: huge }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(APIError);
    expect(error).toMatchObject({ status: 413, code: "request_too_large" });
    expect(sim.requests).toHaveLength(0);
    const after = await sdk().chat.completions.create({ model: "chat", messages: [{ role: "user", content: "still here" }] });
    expect(after.choices[0].message.content).toBe("You said: still here");
  });

  it("ignores unknown fields the way OpenAI's SDK users expect", async () => {
    const completion = await sdk().chat.completions.create({
      model: "chat",
      messages: [{ role: "user", content: "hi" }],
      some_future_field: { nested: true },
    } as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming);
    expect(completion.choices[0].message.content).toBe("You said: hi");
  });

  it("a stream interrupted after content raises in the SDK instead of ending normally", async () => {
    sim.program({ model: "sim-gpt", behavior: { text: "one two three four five six", tokenIntervalMs: 2, fault: { kind: "cut-after", events: 2 } } });
    const stream = await sdk().chat.completions.create({ model: "chat", messages: [{ role: "user", content: "count" }], stream: true });
    const seen: string[] = [];
    const outcome = await (async () => {
      for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? "");
      return "ended normally";
    })().catch((caught: unknown) => caught);
    expect(seen.join("")).not.toBe("");
    expect(outcome).toBeInstanceOf(APIError);
    expect((outcome as APIError).message).toMatch(/interrupted|stream/i);
  });

  it("authenticates through the server's HTTP authenticator: a refusal is an AuthenticationError", async () => {
    await gateway?.close();
    gateway = undefined;
    const logger = createLogger({ level: "silent" });
    const config = configSchema.parse({ ...fragment(), server: { host: "127.0.0.1", port: 0, shutdownGraceMs: 0 } });
    const engine = await createGatewayEngine(config, { logger });
    const server = await createGatewayServer({
      config,
      engine,
      logger,
      authenticateHttp: ({ headers }) =>
        headers.authorization === "Bearer good-key" ? Promise.resolve({ id: "key:test" }) : Promise.reject(new GatewayError("UNAUTHENTICATED", "a valid API key is required")),
    });
    try {
      const client = (apiKey: string) => new OpenAI({ baseURL: `${server.url}/v1`, apiKey, maxRetries: 0 });
      const refused = await client("bad-key")
        .chat.completions.create({ model: "chat", messages: [{ role: "user", content: "hi" }] })
        .catch((caught: unknown) => caught);
      expect(refused).toBeInstanceOf(AuthenticationError);
      expect(refused).toMatchObject({ status: 401, code: "invalid_api_key" });
      const served = await client("good-key").chat.completions.create({ model: "chat", messages: [{ role: "user", content: "hi" }] });
      expect(served.choices[0].message.content).toBe("You said: hi");
      expect(sim.requests).toHaveLength(1);
    } finally {
      await server.close(0);
      await engine.close();
    }
  });
});

describe("cancellation", () => {
  it("a client abort reaches the vendor within 100 ms", async () => {
    sim.program({ model: "sim-gpt", behavior: { text: "a b c d e f g h i j k l m n o p", tokenIntervalMs: 300 } });
    const controller = new AbortController();
    const stream = await sdk().chat.completions.create(
      { model: "chat", messages: [{ role: "user", content: "slow" }], stream: true },
      { signal: controller.signal },
    );
    let abortedAt = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) {
        abortedAt = Date.now();
        controller.abort();
      }
    }
    expect(abortedAt).toBeGreaterThan(0);
    const [request] = await pollUntil(
      () => Promise.resolve(sim.requests),
      (requests) => requests[0]?.abortedAt !== undefined,
      2_000,
    );
    expect(request.aborted).toBe(true);
    expect((request.abortedAt ?? Number.POSITIVE_INFINITY) - abortedAt).toBeLessThan(100);
  });

  it("a unary call whose client goes away is cancelled upstream too", async () => {
    sim.program({ model: "sim-gpt", behavior: { text: "late", firstTokenDelayMs: 2_000 } });
    const controller = new AbortController();
    const pending = sdk()
      .chat.completions.create({ model: "chat", messages: [{ role: "user", content: "slow" }] }, { signal: controller.signal })
      .catch((caught: unknown) => caught);
    await sim.waitForRequests(1);
    await sleep(20);
    const abortedAt = Date.now();
    controller.abort();
    await pending;
    const [request] = await pollUntil(
      () => Promise.resolve(sim.requests),
      (requests) => requests[0]?.abortedAt !== undefined,
      2_000,
    );
    expect((request.abortedAt ?? Number.POSITIVE_INFINITY) - abortedAt).toBeLessThan(100);
  });
});
