/**
 * The browser side of the scenario runner, bundled by ./bundle-runner.ts and loaded by the test page. It
 * runs the very code the Node runners run (`streamTranscript()` and transcript.ts), only over
 * connect-web's fetch-based transports: Connect and gRPC-Web, both over the browser's own HTTP stack.
 */
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { Code, createClient, type ConnectError } from "@connectrpc/connect";
import { resumableStream } from "../../../../clients/node/resumable-stream.js";
import { Role } from "../../../../gen/modelgate/v1/content_pb.js";
import { GatewayService } from "../../../../gen/modelgate/v1/gateway_service_pb.js";
import { streamTranscript } from "../node-connect.js";
import { renderTranscript, type Scenario } from "../scenario.js";

/** The browser transports the runner drives. */
export type BrowserProtocol = "connect-web" | "grpc-web";

/** Runs one scenario against the gateway at `baseUrl` and returns its transcript text. */
async function runScenario(scenario: Scenario, baseUrl: string, protocol: BrowserProtocol): Promise<string> {
  const transport =
    protocol === "connect-web" ? createConnectTransport({ baseUrl }) : createGrpcWebTransport({ baseUrl });
  return renderTranscript(await streamTranscript(transport, scenario));
}

/**
 * The browser's resume example: streams `model` with `resumableStream` (clients/node/resumable-stream.ts)
 * through the test's TCP relay at `baseUrl`, asks the test to cut the connection (`modelgateCut`) after
 * `cutAfter` events, and returns what it saw: the answer and a notice per resume.
 */
async function runResumeExample(baseUrl: string, protocol: BrowserProtocol, model: string, cutAfter: number): Promise<string> {
  const transport =
    protocol === "connect-web" ? createConnectTransport({ baseUrl }) : createGrpcWebTransport({ baseUrl });
  const client = createClient(GatewayService, transport);
  const request = {
    model,
    messages: [{ role: Role.USER, parts: [{ part: { case: "text" as const, value: "one two three four five six seven eight" } }] }],
  };
  const onResume = (after: number, cause: ConnectError): void => {
    out += `\n[connection dropped (${Code[cause.code]}); resuming after position ${after}]\n`;
  };
  let out = "";
  let events = 0;
  for await (const response of resumableStream(client, request, { timeoutMs: 30_000, onResume })) {
    events++;
    const event = response.event;
    if (event.case === "start") out += `[${event.value.deployment}] `;
    else if (event.case === "textDelta") out += event.value.text;
    else if (event.case === "finish") out += ` [${events} events]`;
    if (events === cutAfter) await window.modelgateCut?.();
  }
  return out;
}

declare global {
  interface Window {
    /** Set once the bundle has loaded; the test calls it through `page.evaluate`. */
    modelgateRunScenario?: typeof runScenario;
    modelgateRunResumeExample?: typeof runResumeExample;
    /** Exposed by the test (playwright's `exposeFunction`): cuts the relayed connections. */
    modelgateCut?: () => Promise<void>;
  }
}

window.modelgateRunScenario = runScenario;
window.modelgateRunResumeExample = runResumeExample;
