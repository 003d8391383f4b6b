/**
 * The compiled codecs (src/server/codec/) against protobuf-es, in one process: for each message the
 * gateway parses or writes on every call, the time per operation through connect's serialisation
 * (what the fast paths used before) and through the compiled one, alternating in 7 rounds, and the
 * ratio of their medians. No network; the messages are the benchmark's own request and an answer
 * shaped like the mock's.
 *
 *   npx tsx bench/codec.ts [--rounds 7] [--operations 20000]
 */
import { create, type Message } from "@bufbuild/protobuf";
import { createMethodSerializationLookup, validateReadWriteMaxBytes } from "@connectrpc/connect/protocol";
import { CompleteRequestSchema } from "../gen/modelgate/v1/completion_pb.js";
import { GatewayService } from "../gen/modelgate/v1/gateway_service_pb.js";
import { StreamCompleteResponseSchema } from "../gen/modelgate/v1/stream_pb.js";
import { createCompiledSerializationLookup } from "../src/server/codec/compiled-serialization.js";
import { toCompleteResponse, toStreamResponse } from "../src/server/convert-response.js";
import { installFastTextEncoding } from "../src/server/fast-text-encoding.js";
import type { GatewayResult } from "../src/gateway/types.js";
import { argument } from "./lib/cli.js";
import { PROMPT } from "./lib/clients.js";

const rounds = Number(argument("rounds", "7"));
const operations = Number(argument("operations", "20000"));

// As the gateway runs (src/main.ts).
installFastTextEncoding();
const limits = validateReadWriteMaxBytes(4 * 1024 * 1024, undefined, undefined);
const method = GatewayService.method.complete;
const streamMethod = GatewayService.method.streamComplete;
const standard = createMethodSerializationLookup(method, undefined, undefined, limits);
const compiled = createCompiledSerializationLookup(method, limits);
const standardStream = createMethodSerializationLookup(streamMethod, undefined, undefined, limits);
const compiledStream = createCompiledSerializationLookup(streamMethod, limits);

const requestJson = Buffer.from(JSON.stringify({ model: "mock-instant", messages: [{ role: "ROLE_USER", parts: [{ text: PROMPT }] }] }));
const usage = { inputTokens: 12, outputTokens: 9 };
const result: GatewayResult = {
  requestId: "0f3c6a52-3c1e-4a8e-9d43-6c1d0f1e2b7a",
  text: "Hello! How can I help you today?",
  reasoning: "",
  toolCalls: [],
  finishReason: "stop",
  rawFinishReason: "stop",
  usage,
  costMicroUsd: 3,
  route: {
    requestedModel: "mock-instant",
    strategy: "priority",
    deployment: "mock-openai",
    provider: "openai",
    vendorModel: "gpt-4o-mini",
    attempts: [{ deployment: "mock-openai", provider: "openai", outcome: "succeeded", latencyMs: 1, usage, costMicroUsd: 3, retry: 0 }],
  },
  timings: { totalMs: 1 },
  warnings: [],
};
const response = toCompleteResponse(result);
const delta = toStreamResponse({ type: "text-delta", text: "Hello" });
const deltaMessage = create(StreamCompleteResponseSchema, delta);

interface Case {
  name: string;
  standard: () => unknown;
  compiled: () => unknown;
}

interface OutputLookup {
  getO(binary: boolean): { serialize(message: never): Uint8Array };
}
const serialize = (lookup: OutputLookup, binary: boolean, message: Message) => () => lookup.getO(binary).serialize(message as never);
const cases: Case[] = [
  { name: "CompleteRequest, JSON parse", standard: () => standard.getI(false).parse(requestJson), compiled: () => compiled.getI(false).parse(requestJson) },
  { name: "CompleteResponse, JSON", standard: serialize(standard, false, response), compiled: serialize(compiled, false, response) },
  { name: "CompleteResponse, binary", standard: serialize(standard, true, response), compiled: serialize(compiled, true, response) },
  { name: "text delta, JSON", standard: serialize(standardStream, false, deltaMessage), compiled: serialize(compiledStream, false, deltaMessage) },
  { name: "text delta, binary", standard: serialize(standardStream, true, deltaMessage), compiled: serialize(compiledStream, true, deltaMessage) },
];

function microsecondsPerOperation(run: () => unknown): number {
  const started = process.hrtime.bigint();
  for (let index = 0; index < operations; index++) run();
  return Number(process.hrtime.bigint() - started) / operations / 1_000;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

// Same results before timing anything: the tests compare them in depth, this guards the bench itself.
for (const benchCase of cases) {
  const a = benchCase.standard();
  const b = benchCase.compiled();
  const same = a instanceof Uint8Array && b instanceof Uint8Array ? Buffer.compare(a, b) === 0 : JSON.stringify(a, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)) === JSON.stringify(b, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  if (!same) throw new Error(`${benchCase.name}: the compiled codec gives a different result`);
}

const times = new Map(cases.map((benchCase) => [benchCase.name, { standard: [] as number[], compiled: [] as number[] }]));
for (let round = 0; round < rounds; round++) {
  for (const benchCase of cases) {
    const entry = times.get(benchCase.name)!;
    entry.standard.push(microsecondsPerOperation(benchCase.standard));
    entry.compiled.push(microsecondsPerOperation(benchCase.compiled));
  }
}

process.stdout.write(`node ${process.version}, ${rounds} rounds × ${operations} operations, median µs per operation\n\n`);
process.stdout.write("| message | protobuf-es (connect) | compiled | ratio |\n|---|---|---|---|\n");
for (const [name, entry] of times) {
  const a = median(entry.standard);
  const b = median(entry.compiled);
  process.stdout.write(`| ${name} | ${a.toFixed(2)} | ${b.toFixed(2)} | ${(b / a).toFixed(2)} |\n`);
}
