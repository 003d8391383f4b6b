/**
 * The connect-node runner: StreamComplete over the Connect protocol (HTTP/1.1) or over connect-node's gRPC
 * transport (HTTP/2), writing the transcript of one scenario. Runs in-process from the orchestrating test,
 * or from the command line: `tsx node-connect.ts <connect|grpc> <base-url> <scenario.json>`.
 */
import { ConnectError, createClient, type Client } from "@connectrpc/connect";
import type { Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "../../../gen/google/rpc/error_details_pb.js";
import { FailureDetailsSchema } from "../../../gen/modelgate/v1/errors_pb.js";
import { GatewayService } from "../../../gen/modelgate/v1/gateway_service_pb.js";
import type { Scenario, ScenarioRequest, TranscriptLine } from "./scenario.js";
import { loadScenario, renderTranscript, transcriptWithResume } from "./scenario.js";
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

/**
 * The transcript lines of a scenario's StreamComplete call over any connect-es transport (also used by the
 * browser page): one call, or with `dropAfterEvents` the dropped call and the call that resumes it.
 */
export function streamTranscript(transport: Transport, scenario: Scenario): Promise<TranscriptLine[]> {
  const client = createClient(GatewayService, transport);
  return transcriptWithResume(scenario, (request, resumeAfterPosition, lines) => readCall(client, request, resumeAfterPosition, lines));
}

/** One StreamComplete call, its lines appended to `lines`; `dropped` when the runner cut it to resume. */
async function readCall(
  client: Client<typeof GatewayService>,
  request: ScenarioRequest,
  resumeAfterPosition: number | undefined,
  lines: TranscriptLine[],
): Promise<{ dropped: boolean; lastPosition: number }> {
  const abort = new AbortController();
  const dropAfter = resumeAfterPosition === undefined ? request.dropAfterEvents : undefined;
  let stopped: "cancel" | "drop" | undefined;
  let seen = 0;
  let lastPosition = 0;
  try {
    const stream = client.streamComplete(toStreamRequest(request, resumeAfterPosition), {
      signal: abort.signal,
      timeoutMs: request.deadlineMs,
    });
    for await (const response of stream) {
      if (stopped !== undefined) continue; // events after our own cancel are not recorded
      lines.push(eventLine(response));
      lastPosition = response.position;
      seen++;
      if (request.cancelAfterFirstEvent === true) stopped = "cancel";
      else if (seen === dropAfter) stopped = "drop";
      if (stopped !== undefined) abort.abort();
    }
  } catch (error) {
    if (stopped === "drop") return { dropped: true, lastPosition };
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
  return { dropped: stopped === "drop", lastPosition };
}

if (process.argv[1]?.endsWith("node-connect.ts")) {
  const [protocol, baseUrl, file] = process.argv.slice(2);
  process.stdout.write(await runConnectNode(loadScenario(file), baseUrl, protocol as ConnectNodeProtocol));
}
