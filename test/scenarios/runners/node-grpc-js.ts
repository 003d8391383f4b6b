/**
 * The grpc-js runner: StreamComplete over @grpc/grpc-js with protobuf-es (de)serialisation, writing the
 * transcript of one scenario. Runs in-process from the orchestrating test, or from the command line:
 * `tsx node-grpc-js.ts <host:port> <scenario.json>`.
 */
import { credentials, Client, Metadata } from "@grpc/grpc-js";
import type { ServiceError } from "@grpc/grpc-js";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import type { StreamCompleteRequest, StreamCompleteResponse } from "../../../gen/modelgate/v1/stream_pb.js";
import { StreamCompleteRequestSchema, StreamCompleteResponseSchema } from "../../../gen/modelgate/v1/stream_pb.js";
import type { Scenario, ScenarioRequest, TranscriptLine } from "./scenario.js";
import { loadScenario, renderTranscript, transcriptWithResume } from "./scenario.js";
import { decodeStatusDetails } from "./status-details.js";
import { errorLine, eventLine, toStreamRequest } from "./transcript.js";

const STREAM_COMPLETE_PATH = "/modelgate.v1.GatewayService/StreamComplete";

/** Runs one scenario against `address` ("host:port") and returns its transcript text. */
export async function runGrpcJs(scenario: Scenario, address: string): Promise<string> {
  const client = new Client(address, credentials.createInsecure());
  try {
    return renderTranscript(await streamTranscript(client, scenario));
  } finally {
    client.close();
  }
}

/** One call, or with `dropAfterEvents` the dropped call and the call that resumes it. */
function streamTranscript(client: Client, scenario: Scenario): Promise<TranscriptLine[]> {
  return transcriptWithResume(scenario, (request, resumeAfterPosition, lines) => readCall(client, request, resumeAfterPosition, lines));
}

/** One StreamComplete call, its lines appended to `lines`; `dropped` when the runner cut it to resume. */
function readCall(
  client: Client,
  request: ScenarioRequest,
  resumeAfterPosition: number | undefined,
  lines: TranscriptLine[],
): Promise<{ dropped: boolean; lastPosition: number }> {
  const { deadlineMs, cancelAfterFirstEvent } = request;
  const dropAfter = resumeAfterPosition === undefined ? request.dropAfterEvents : undefined;
  const call = client.makeServerStreamRequest<StreamCompleteRequest, StreamCompleteResponse>(
    STREAM_COMPLETE_PATH,
    (message) => Buffer.from(toBinary(StreamCompleteRequestSchema, message)),
    (bytes) => fromBinary(StreamCompleteResponseSchema, bytes),
    toStreamRequest(request, resumeAfterPosition),
    new Metadata(),
    deadlineMs === undefined ? {} : { deadline: Date.now() + deadlineMs },
  );
  let stopped: "cancel" | "drop" | undefined;
  let seen = 0;
  let lastPosition = 0;
  return new Promise((resolve) => {
    call.on("data", (response: StreamCompleteResponse) => {
      if (stopped !== undefined) return; // events after our own cancel are not recorded
      lines.push(eventLine(response));
      lastPosition = response.position;
      seen++;
      if (cancelAfterFirstEvent === true) stopped = "cancel";
      else if (seen === dropAfter) stopped = "drop";
      if (stopped !== undefined) call.cancel();
    });
    call.on("error", (error: ServiceError) => {
      if (stopped !== "drop") {
        const raw = error.metadata?.get("grpc-status-details-bin")[0];
        const details = raw instanceof Buffer ? decodeStatusDetails(raw) : {};
        lines.push(errorLine(error.code, details));
      }
      resolve({ dropped: stopped === "drop", lastPosition });
    });
    call.on("end", () => resolve({ dropped: stopped === "drop", lastPosition }));
  });
}

if (process.argv[1]?.endsWith("node-grpc-js.ts")) {
  const [address, file] = process.argv.slice(2);
  process.stdout.write(await runGrpcJs(loadScenario(file), address));
}
