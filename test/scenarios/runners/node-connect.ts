/**
 * The connect-node runner: StreamComplete over the Connect protocol (HTTP/1.1) or over connect-node's gRPC
 * transport (HTTP/2), writing the transcript of one scenario. Runs in-process from the orchestrating test,
 * or from the command line: `tsx node-connect.ts <connect|grpc> <base-url> <scenario.json>`.
 */
import { ConnectError, createClient } from "@connectrpc/connect";
import type { Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "../../../gen/google/rpc/error_details_pb.js";
import { FailureDetailsSchema } from "../../../gen/modelgate/v1/errors_pb.js";
import { GatewayService } from "../../../gen/modelgate/v1/gateway_service_pb.js";
import type { Scenario, TranscriptLine } from "./scenario.js";
import { loadScenario, renderTranscript } from "./scenario.js";
import { errorLine, eventLine, toStreamRequest } from "./transcript.js";

export type ConnectNodeProtocol = "connect" | "grpc";

/** Runs one scenario and returns its transcript text. */
export async function runConnectNode(scenario: Scenario, baseUrl: string, protocol: ConnectNodeProtocol): Promise<string> {
  const transport: Transport =
    protocol === "connect"
      ? createConnectTransport({ baseUrl, httpVersion: "1.1" })
      : createGrpcTransport({ baseUrl });
  return renderTranscript(await streamTranscript(transport, scenario));
}

/** The transcript lines of one StreamComplete call over any connect-es transport (also used by the browser page). */
export async function streamTranscript(transport: Transport, scenario: Scenario): Promise<TranscriptLine[]> {
  const client = createClient(GatewayService, transport);
  const lines: TranscriptLine[] = [];
  const abort = new AbortController();
  let canceled = false;
  try {
    const stream = client.streamComplete(toStreamRequest(scenario.request), {
      signal: abort.signal,
      timeoutMs: scenario.request.deadlineMs,
    });
    for await (const response of stream) {
      if (canceled) continue; // events after our own cancel are not recorded
      lines.push(eventLine(response));
      if (scenario.request.cancelAfterFirstEvent === true) {
        canceled = true;
        abort.abort();
      }
    }
  } catch (error) {
    const connectError = ConnectError.from(error);
    lines.push(
      errorLine(connectError.code, {
        errorInfo: connectError.findDetails(ErrorInfoSchema)[0],
        retryInfo: connectError.findDetails(RetryInfoSchema)[0],
        badRequest: connectError.findDetails(BadRequestSchema)[0],
        failure: connectError.findDetails(FailureDetailsSchema)[0],
      }),
    );
  }
  return lines;
}

if (process.argv[1]?.endsWith("node-connect.ts")) {
  const [protocol, baseUrl, file] = process.argv.slice(2);
  process.stdout.write(await runConnectNode(loadScenario(file), baseUrl, protocol as ConnectNodeProtocol));
}
