/**
 * The browser side of the scenario runner, bundled by ./bundle-runner.ts and loaded by the test page. It
 * runs the very code the Node runners run (`streamTranscript()` and transcript.ts), only over
 * connect-web's fetch-based transports: Connect and gRPC-Web, both over the browser's own HTTP stack.
 */
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
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

declare global {
  interface Window {
    /** Set once the bundle has loaded; the test calls it through `page.evaluate`. */
    modelgateRunScenario?: typeof runScenario;
  }
}

window.modelgateRunScenario = runScenario;
