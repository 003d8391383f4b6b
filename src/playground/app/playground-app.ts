/**
 * The playground page, bundled for the browser by src/server/pages/page-assets.ts. It talks to the gateway that
 * served it, over Connect (connect-web, same origin): ListModels fills the model picker, StreamComplete
 * streams the answer, and the final event's route record, usage and cost are shown as they arrive.
 * When the gateway checks caller keys, the key typed into the header goes with every call as
 * `authorization: Bearer <key>`; it is kept for the tab's session only (sessionStorage), like the dashboard's.
 */
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { ErrorInfoSchema } from "../../../gen/google/rpc/error_details_pb.js";
import { FinishReason } from "../../../gen/modelgate/v1/completion_pb.js";
import { Role } from "../../../gen/modelgate/v1/content_pb.js";
import { FailureDetailsSchema } from "../../../gen/modelgate/v1/errors_pb.js";
import { GatewayService } from "../../../gen/modelgate/v1/gateway_service_pb.js";
import type { RouteRecord, Usage } from "../../../gen/modelgate/v1/routing_pb.js";
import type { StreamFinish } from "../../../gen/modelgate/v1/stream_pb.js";
import { byId, element, fillDefinitions } from "./dom.js";
import { attemptRows, formatMicroUsd, strategyName, usageRows } from "./format.js";

const KEY_STORAGE = "modelgate-playground-key";

function callerKey(): string | undefined {
  const key = sessionStorage.getItem(KEY_STORAGE);
  return key === null || key === "" ? undefined : key;
}

/** Sends the caller key the person gave, if any (the gateway may check keys: src/callers/). */
const sendCallerKey: Interceptor = (next) => (request) => {
  const key = callerKey();
  if (key !== undefined) request.header.set("authorization", `Bearer ${key}`);
  return next(request);
};

const client = createClient(GatewayService, createConnectTransport({ baseUrl: window.location.origin, interceptors: [sendCallerKey] }));

const ui = {
  connection: byId("connection", HTMLParagraphElement),
  form: byId("ask", HTMLFormElement),
  model: byId("model", HTMLSelectElement),
  prompt: byId("prompt", HTMLTextAreaElement),
  send: byId("send", HTMLButtonElement),
  stop: byId("stop", HTMLButtonElement),
  status: byId("status", HTMLSpanElement),
  servedBy: byId("served-by", HTMLSpanElement),
  notices: byId("notices", HTMLOListElement),
  reasoning: byId("reasoning", HTMLPreElement),
  output: byId("output", HTMLPreElement),
  error: byId("error", HTMLDivElement),
  details: byId("details", HTMLElement),
  routeSummary: byId("route-summary", HTMLElement),
  attempts: byId("attempts", HTMLTableElement),
  usage: byId("usage", HTMLElement),
  toolCalls: byId("tool-calls", HTMLUListElement),
  keyForm: byId("key-form", HTMLFormElement),
  key: byId("key", HTMLInputElement),
  keyState: byId("key-state", HTMLSpanElement),
};

let running: AbortController | undefined;

function setStatus(state: "idle" | "streaming" | "done" | "failed" | "stopped", text: string = state): void {
  ui.status.dataset.state = state;
  ui.status.textContent = text;
}

function showServedBy(deployment: string, provider: string): void {
  ui.servedBy.dataset.deployment = deployment;
  ui.servedBy.replaceChildren("served by ", element("strong", deployment), ` via ${provider}`);
}

function showDetails(route: RouteRecord | undefined, usage: Usage | undefined, costMicroUsd: bigint | undefined, finish?: StreamFinish): void {
  ui.details.hidden = false;
  const summary: [string, string][] = [];
  if (route !== undefined) {
    summary.push(["requested", route.requestedModel], ["strategy", strategyName(route.strategy)]);
    if (route.deployment !== "") summary.push(["deployment", `${route.deployment} (${route.vendorModel})`]);
  }
  if (finish !== undefined) {
    summary.push(["finish", `${FinishReason[finish.finishReason] ?? finish.finishReason} (${finish.rawFinishReason || "no raw reason"})`]);
    if (finish.timings !== undefined) {
      const firstToken = finish.timings.timeToFirstTokenMs;
      summary.push(["time", `${firstToken === undefined ? "" : `first token ${firstToken} ms, `}total ${finish.timings.totalMs} ms`]);
    }
    for (const warning of finish.warnings) summary.push(["warning", `${warning.code} ${warning.deployment}`.trim()]);
  }
  fillDefinitions(ui.routeSummary, summary);
  const body = ui.attempts.tBodies[0];
  body.replaceChildren(
    ...attemptRows(route).map((row, index) => {
      const tr = element("tr");
      tr.append(
        element("td", String(index + 1)),
        element("td", row.deployment),
        element("td", row.provider),
        element("td", row.outcome, `outcome-${row.outcome}`),
        element("td", row.reason),
        element("td", row.retry),
        element("td", row.latency),
      );
      return tr;
    }),
  );
  fillDefinitions(ui.usage, [...usageRows(usage), ["cost", formatMicroUsd(costMicroUsd)]]);
  ui.toolCalls.replaceChildren(...(finish?.toolCalls ?? []).map((call) => element("li", `${call.name}(${call.argumentsJson})`)));
}

function reset(): void {
  setStatus("streaming", "waiting");
  delete ui.servedBy.dataset.deployment;
  ui.servedBy.replaceChildren();
  ui.notices.replaceChildren();
  ui.reasoning.hidden = true;
  ui.reasoning.replaceChildren();
  ui.output.replaceChildren();
  ui.error.hidden = true;
  ui.details.hidden = true;
}

function showError(error: unknown, stoppedByUser: boolean): void {
  const connectError = ConnectError.from(error);
  if (stoppedByUser && connectError.code === Code.Canceled) {
    setStatus("stopped");
    return;
  }
  setStatus("failed");
  const reason = connectError.findDetails(ErrorInfoSchema)[0]?.reason;
  ui.error.hidden = false;
  ui.error.textContent = `${Code[connectError.code]}${reason === undefined ? "" : ` (${reason})`}: ${connectError.rawMessage}`;
  const failure = connectError.findDetails(FailureDetailsSchema)[0];
  if (failure !== undefined) showDetails(failure.route, failure.usage, failure.costMicroUsd);
}

async function send(model: string, prompt: string): Promise<void> {
  running?.abort();
  const abort = new AbortController();
  running = abort;
  reset();
  ui.stop.disabled = false;
  try {
    const stream = client.streamComplete(
      { model, messages: [{ role: Role.USER, parts: [{ part: { case: "text", value: prompt } }] }] },
      { signal: abort.signal },
    );
    for await (const response of stream) {
      const event = response.event;
      switch (event.case) {
        case "start":
          setStatus("streaming");
          showServedBy(event.value.deployment, event.value.provider);
          break;
        case "fallback":
          ui.notices.append(element("li", `fell back from ${event.value.fromDeployment} to ${event.value.toDeployment}: ${event.value.reason}`));
          break;
        case "textDelta":
          ui.output.append(event.value.text);
          break;
        case "reasoningDelta":
          ui.reasoning.hidden = false;
          ui.reasoning.append(event.value.text);
          break;
        case "finish":
          setStatus("done");
          showDetails(event.value.route, event.value.usage, event.value.costMicroUsd, event.value);
          break;
        default:
          break; // tool-call fragments: the assembled calls arrive with finish
      }
    }
  } catch (error) {
    showError(error, abort.signal.aborted);
  } finally {
    if (running === abort) {
      running = undefined;
      ui.stop.disabled = true;
    }
  }
}

async function loadModels(): Promise<void> {
  try {
    const { aliases, deployments } = await client.listModels({});
    const group = (label: string, options: HTMLOptionElement[]): HTMLOptGroupElement => {
      const optgroup = element("optgroup");
      optgroup.label = label;
      optgroup.append(...options);
      return optgroup;
    };
    const option = (value: string, text: string): HTMLOptionElement => {
      const created = element("option", text);
      created.value = value;
      return created;
    };
    ui.model.replaceChildren(
      group("Aliases", aliases.map((alias) => option(alias.name, `${alias.name} (${strategyName(alias.strategy)})`))),
      group("Deployments", deployments.map((deployment) => option(deployment.name, `${deployment.name} (${deployment.provider}/${deployment.vendorModel})`))),
    );
    delete ui.connection.dataset.needsKey;
    ui.connection.textContent = `${aliases.length} aliases, ${deployments.length} deployments`;
    ui.send.disabled = false;
  } catch (error) {
    const connectError = ConnectError.from(error);
    const needsKey = connectError.code === Code.Unauthenticated || connectError.code === Code.PermissionDenied;
    ui.connection.dataset.needsKey = String(needsKey);
    ui.connection.textContent = `could not list models: ${connectError.message}${needsKey ? " (enter a caller key)" : ""}`;
    if (needsKey) ui.key.focus();
  }
}

function showKeyState(): void {
  const set = callerKey() !== undefined;
  ui.keyState.dataset.set = String(set);
  ui.keyState.textContent = set ? "key set for this tab" : "no key";
}

ui.form.addEventListener("submit", (event) => {
  event.preventDefault();
  void send(ui.model.value, ui.prompt.value);
});
ui.stop.addEventListener("click", () => running?.abort());
// An empty key forgets the one in use; either way the models are listed again with what is now sent.
ui.keyForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const key = ui.key.value.trim();
  if (key === "") sessionStorage.removeItem(KEY_STORAGE);
  else sessionStorage.setItem(KEY_STORAGE, key);
  ui.key.value = "";
  showKeyState();
  ui.connection.textContent = "loading models…";
  delete ui.connection.dataset.needsKey;
  void loadModels();
});
setStatus("idle");
showKeyState();
void loadModels();
