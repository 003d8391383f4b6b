import { describe, expect, it } from "vitest";
import type { AttemptRecord } from "../gateway/types.js";
import type { CallRecord } from "../observability/call-record.js";
import { createFallbackLog, recordFallbacksOf } from "./fallback-log.js";

const attempt = (deployment: string, outcome: AttemptRecord["outcome"], reason?: AttemptRecord["reason"]): AttemptRecord => ({
  deployment,
  provider: "p",
  outcome,
  reason,
  latencyMs: 1,
  retry: 0,
});

const call = (attempts: AttemptRecord[], source: CallRecord["source"] = "upstream") => ({ model: "chat", source, attempts });

describe("fallback log", () => {
  it("keeps only the newest entries, newest first", () => {
    const log = createFallbackLog(3);
    for (let index = 0; index < 5; index++) {
      log.record({ timeUnixMs: index, requestedModel: "chat", fromDeployment: `d${index}`, toDeployment: "x", reason: "PROVIDER_TIMEOUT" });
    }
    expect(log.recent().map((entry) => entry.timeUnixMs)).toEqual([4, 3, 2]);
  });

  it("records a call's moves to another deployment, not its retries on the same one", () => {
    const log = createFallbackLog();
    recordFallbacksOf(call([attempt("a", "failed", "PROVIDER_RATE_LIMITED"), attempt("a", "failed", "PROVIDER_TIMEOUT"), attempt("b", "succeeded")]), log, () => 42);
    expect(log.recent()).toEqual([{ timeUnixMs: 42, requestedModel: "chat", fromDeployment: "a", toDeployment: "b", reason: "PROVIDER_TIMEOUT" }]);
  });

  it("records the moves of a call that failed in the end", () => {
    const log = createFallbackLog();
    recordFallbacksOf(call([attempt("a", "failed", "PROVIDER_UNAVAILABLE"), attempt("b", "failed", "PROVIDER_UNAVAILABLE"), attempt("c", "failed")]), log);
    expect(log.recent().map((entry) => `${entry.fromDeployment}->${entry.toDeployment}`)).toEqual(["b->c", "a->b"]);
  });

  it("does not count a replayed or cached answer again", () => {
    const log = createFallbackLog();
    const moved = [attempt("a", "failed", "PROVIDER_UNAVAILABLE"), attempt("b", "succeeded")];
    recordFallbacksOf(call(moved, "cache"), log);
    recordFallbacksOf(call(moved, "idempotent-replay"), log);
    expect(log.recent()).toEqual([]);
  });
});
