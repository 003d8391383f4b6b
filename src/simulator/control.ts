/**
 * The control API (`/__sim/*`) and the strict schemas for rules and behaviours that arrive as JSON or
 * YAML (HTTP control calls, `--rules` files). In-process callers use the typed API directly.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import * as z from "zod";
import type { SimBehavior, SimRule } from "./behavior.js";
import { VENDORS } from "./behavior.js";

const count = z.number().int().min(0);

const faultSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("status"),
    status: z.number().int().min(100).max(599),
    retryAfter: z.string().optional(),
    retryAfterMs: count.optional(),
    headers: z.record(z.string(), z.string()).optional(),
    message: z.string().optional(),
    errorType: z.string().optional(),
    errorCode: z.string().optional(),
  }),
  z.object({ kind: z.literal("reset") }),
  z.object({ kind: z.literal("hang") }),
  z.object({ kind: z.literal("cut-after"), events: count }),
  z.object({ kind: z.literal("eof-after"), events: count }),
  z.object({ kind: z.literal("stall-after"), events: count }),
  z.object({ kind: z.literal("malformed-after"), events: count }),
  z.object({ kind: z.literal("error-event-after"), events: count, message: z.string().optional() }),
  z.object({ kind: z.literal("endless-after"), events: count, maxBytes: z.number().int().min(1).optional() }),
]);

export const simBehaviorSchema = z.strictObject({
  text: z.string().optional(),
  reasoning: z.string().optional(),
  toolCalls: z
    .array(z.object({ name: z.string().min(1), arguments: z.record(z.string(), z.unknown()), id: z.string().optional() }))
    .optional(),
  usage: z
    .union([
      z.literal("none"),
      z.object({
        inputTokens: count,
        outputTokens: count,
        cachedInputTokens: count.optional(),
        reasoningTokens: count.optional(),
      }),
    ])
    .optional(),
  finishReason: z.string().optional(),
  firstTokenDelayMs: count.optional(),
  firstContentDelayMs: count.optional(),
  tokenIntervalMs: count.optional(),
  chunkChars: z.number().int().min(1).optional(),
  splitUtf8: z.boolean().optional(),
  fault: faultSchema.optional(),
  faultProbability: z.number().min(0).max(1).optional(),
  fixture: z.string().optional(),
});

export const simRuleSchema = z.strictObject({
  vendor: z.enum(VENDORS as [string, ...string[]]).optional(),
  model: z.string().optional(),
  behavior: simBehaviorSchema,
  times: z.number().int().min(1).optional(),
});

/** Parses one rule from untrusted input; throws a readable error listing the bad fields. */
export function parseRule(input: unknown): SimRule {
  return simRuleSchema.parse(input) as SimRule;
}

export function parseBehavior(input: unknown): SimBehavior {
  return simBehaviorSchema.parse(input) as SimBehavior;
}

/** Parses a `--rules` document: a list of rules, or `{rules: [...]}`. */
export function parseRules(input: unknown): SimRule[] {
  const list = Array.isArray(input) ? input : (input as { rules?: unknown } | null)?.rules;
  if (!Array.isArray(list)) throw new Error("rules file must be a list of rules or {rules: [...]}");
  return list.map(parseRule);
}

/** What the control API can do to the simulator. */
export interface ControlTarget {
  program(rule: SimRule): void;
  setDefault(behavior: SimBehavior): void;
  reset(): void;
  readonly requests: readonly unknown[];
}

function reply(res: ServerResponse, status: number, payload: unknown): void {
  const body = JSON.stringify(payload, null, 2);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

/** Handles `/__sim/*`: POST rules|default|reset, GET requests. */
export function handleControl(
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
  rawBody: string,
  target: ControlTarget,
): void {
  const action = `${req.method ?? "GET"} ${pathname}`;
  try {
    const body: unknown = rawBody.trim() === "" ? {} : JSON.parse(rawBody);
    switch (action) {
      case "POST /__sim/rules":
        for (const rule of Array.isArray(body) ? parseRules(body) : [parseRule(body)]) target.program(rule);
        return reply(res, 200, { ok: true });
      case "POST /__sim/default":
        target.setDefault(parseBehavior(body));
        return reply(res, 200, { ok: true });
      case "POST /__sim/reset":
        target.reset();
        return reply(res, 200, { ok: true });
      case "GET /__sim/requests":
        return reply(res, 200, target.requests);
      default:
        return reply(res, 404, { error: `unknown control call: ${action}` });
    }
  } catch (error) {
    const message = error instanceof z.ZodError ? z.prettifyError(error) : String((error as Error).message ?? error);
    return reply(res, 400, { error: message });
  }
}
