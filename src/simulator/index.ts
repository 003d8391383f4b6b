/**
 * Vendor simulators: local HTTP servers speaking the OpenAI, Anthropic, Gemini and Ollama wire protocols,
 * programmable per request (text, tool calls, usage, pacing, faults, fixture replay). See docs/simulator.md.
 */
export type { Vendor, SimBehavior, SimFault, SimRule, SimToolCall, SimUsage } from "./behavior.js";
export { VENDORS, estimateTokens } from "./behavior.js";
export type { RecordedRequest, Simulator, SimulatorOptions } from "./server.js";
export { startSimulator } from "./server.js";
export { parseBehavior, parseRule, parseRules } from "./control.js";
export { DEFAULT_FIXTURES_DIR } from "./fixtures.js";
export { runSimulateCommand } from "./cli.js";
