/**
 * The scenario file format and the canonical transcript text, for the Node side: the orchestrating test
 * and the Node runners. The Go and Python runners implement the same rules (see ../README.md); a change
 * here is a change there.
 */
import { readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Where the scenario files live. */
export const SCENARIOS_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "cases");

/** One message of a scenario request: a role name and plain text. */
export interface ScenarioMessage {
  role: "system" | "user" | "assistant";
  text: string;
}

/** One tool a scenario request offers. */
export interface ScenarioTool {
  name: string;
  description?: string;
  parametersJsonSchema?: string;
}

/** The request a runner sends with StreamComplete. */
export interface ScenarioRequest {
  model: string;
  messages: ScenarioMessage[];
  tools?: ScenarioTool[];
  /** The call's deadline, set through the client's own deadline/timeout mechanism. */
  deadlineMs?: number;
  /** Cancel the call once the first event has arrived; events after the cancel are not recorded. */
  cancelAfterFirstEvent?: boolean;
  /** The caller's request id (`request_id`), sent with every call of the scenario. */
  requestId?: string;
  /**
   * Drop the call (cancel it) once this many events have arrived, then call again with the same request
   * and `resume_after_position` = the position of the last event seen; the transcript gets a
   * {@link resumeLine} between the two calls' events.
   */
  dropAfterEvents?: number;
}

/** A simulator rule, exactly what `sim.program()` and `POST /__sim/rules` take. */
export interface ScenarioSimulatorRule {
  vendor?: string;
  model?: string;
  behavior: Record<string, unknown>;
  times?: number;
}

/** A transcript line as data: rendered with {@link canonicalLine}. */
export type TranscriptLine = { type: string } & Record<string, unknown>;

export interface Scenario {
  /** The file name without `.json`. */
  name: string;
  description: string;
  /** A GatewayConfig fragment; `{{simulator:<vendor>}}` stands for the simulator's base URL of that vendor. */
  gateway: Record<string, unknown>;
  simulator: ScenarioSimulatorRule[];
  request: ScenarioRequest;
  expected: TranscriptLine[];
}

/** Reads one scenario file. */
export function loadScenario(path: string): Scenario {
  const data = JSON.parse(readFileSync(path, "utf8")) as Omit<Scenario, "name">;
  return { ...data, name: basename(path, ".json") };
}

/** Every scenario in `dir`, sorted by name. */
export function loadScenarios(dir: string = SCENARIOS_DIR): Scenario[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith(".json"))
    .sort()
    .map((file) => loadScenario(join(dir, file)));
}

/**
 * One transcript line: JSON with keys sorted at every depth, no whitespace, non-ASCII kept as UTF-8.
 * Go (`SetEscapeHTML(false)`) and Python (`sort_keys=True, separators=(",", ":"), ensure_ascii=False`)
 * produce the same bytes for the text scenarios use (no control characters other than \n and \t, no
 * U+2028/U+2029, which Go escapes and the others do not).
 */
export function canonicalLine(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

/** The line a runner writes where it resumed a dropped stream: the position it resumed after. */
export function resumeLine(afterPosition: number): TranscriptLine {
  return { type: "resume", afterPosition };
}

/**
 * Reads one StreamComplete call of `request` (resuming after `resumeAfterPosition` when given), its lines
 * appended to `lines`; `dropped` when the runner cut it to resume.
 */
export type ReadCall = (
  request: ScenarioRequest,
  resumeAfterPosition: number | undefined,
  lines: TranscriptLine[],
) => Promise<{ dropped: boolean; lastPosition: number }>;

/** One call's lines, or with `dropAfterEvents` the dropped call's, a resume line and the resuming call's. */
export async function transcriptWithResume(scenario: Scenario, readCall: ReadCall): Promise<TranscriptLine[]> {
  const lines: TranscriptLine[] = [];
  const first = await readCall(scenario.request, undefined, lines);
  if (first.dropped) {
    lines.push(resumeLine(first.lastPosition));
    await readCall(scenario.request, first.lastPosition, lines);
  }
  return lines;
}

/** The whole transcript: one canonical line per entry, each ending in "\n". */
export function renderTranscript(lines: readonly TranscriptLine[]): string {
  return lines.map((line) => `${canonicalLine(line)}\n`).join("");
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
    return sorted;
  }
  return value;
}

/**
 * Connect's code names (lowercase snake case), the spelling transcripts use for every client. Index is the
 * gRPC status code number.
 */
export const CODE_NAMES: readonly string[] = [
  "ok",
  "canceled",
  "unknown",
  "invalid_argument",
  "deadline_exceeded",
  "not_found",
  "already_exists",
  "permission_denied",
  "resource_exhausted",
  "failed_precondition",
  "aborted",
  "out_of_range",
  "unimplemented",
  "internal",
  "unavailable",
  "data_loss",
  "unauthenticated",
];

/** Codes a client may produce locally, before the server's status arrives: transcripts keep only the code. */
export const LOCAL_CODES: ReadonlySet<string> = new Set(["canceled", "deadline_exceeded"]);
