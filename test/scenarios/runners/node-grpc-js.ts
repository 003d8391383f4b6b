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
import type { Scenario, TranscriptLine } from "./scenario.js";
import { loadScenario, renderTranscript } from "./scenario.js";
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

function streamTranscript(client: Client, scenario: Scenario): Promise<TranscriptLine[]> {
  const { deadlineMs, cancelAfterFirstEvent } = scenario.request;
  const call = client.makeServerStreamRequest<StreamCompleteRequest, StreamCompleteResponse>(
    STREAM_COMPLETE_PATH,
    (request) => Buffer.from(toBinary(StreamCompleteRequestSchema, request)),
    (bytes) => fromBinary(StreamCompleteResponseSchema, bytes),
    toStreamRequest(scenario.request),
    new Metadata(),
    deadlineMs === undefined ? {} : { deadline: Date.now() + deadlineMs },
  );
  const lines: TranscriptLine[] = [];
  let canceled = false;
  return new Promise((resolve) => {
    call.on("data", (response: StreamCompleteResponse) => {
      if (canceled) return; // events after our own cancel are not recorded
      lines.push(eventLine(response));
      if (cancelAfterFirstEvent === true) {
        canceled = true;
        call.cancel();
      }
    });
    call.on("error", (error: ServiceError) => {
      const raw = error.metadata?.get("grpc-status-details-bin")[0];
      const details = raw instanceof Buffer ? decodeStatusDetails(raw) : {};
      lines.push(errorLine(error.code, details));
      resolve(lines);
    });
    call.on("end", () => resolve(lines));
  });
}

if (process.argv[1]?.endsWith("node-grpc-js.ts")) {
  const [address, file] = process.argv.slice(2);
  process.stdout.write(await runGrpcJs(loadScenario(file), address));
}
