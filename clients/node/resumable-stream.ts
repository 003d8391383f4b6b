/**
 * Streams that survive a dropped connection, for any connect-es transport (connect-node's Connect and
 * gRPC, connect-web's Connect and gRPC-Web): when a call breaks before the gateway's status arrived,
 * `resumableStream` calls again with the same request id and `resumeAfterPosition` = the last position
 * received, and yields every event exactly once. The gateway keeps a stream's run going after its reader
 * left only when `replay.keepDetachedRunsMs` is above 0 (docs/replay.md); with the default 0 the resume
 * gets the run's CANCELED status instead.
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import type { GatewayService } from "../../gen/modelgate/v1/gateway_service_pb.js";
import { StreamCompleteRequestSchema, type StreamCompleteResponse } from "../../gen/modelgate/v1/stream_pb.js";

export interface ResumableStreamOptions {
  /** Stops the stream (no resume after it). */
  signal?: AbortSignal;
  /** Bounds the whole stream, resumes included. */
  timeoutMs?: number;
  /** Default 5. */
  maxResumes?: number;
  /** The wait before the first resume, doubled for each next one. Default 100. */
  backoffMs?: number;
  /** Told before each resume (for logs). */
  onResume?: (afterPosition: number, cause: ConnectError) => void;
}

/** The codes connect-es gives a call whose connection broke under it (no status from the gateway). */
const BROKEN_CONNECTION_CODES: readonly Code[] = [Code.Unavailable, Code.Internal, Code.Unknown, Code.Aborted, Code.Canceled];

/**
 * Whether `error` broke the call before the gateway answered, so a resume can help: no ErrorInfo from
 * the gateway (every status it sends carries one, and a resume would only repeat it) and a code a
 * broken connection yields. connect-node reports a cut HTTP/2 connection as CANCELED ("http/2 stream
 * closed with error code CANCEL") and a cut HTTP/1.1 body as ABORTED ("aborted", ECONNRESET); connect-web
 * (fetch, in Chromium) as UNKNOWN, over Connect and gRPC-Web alike. The caller's own abort is not a drop: `resumableStream`
 * checks its signal first.
 */
export function isDroppedConnection(error: ConnectError): boolean {
  if (!BROKEN_CONNECTION_CODES.includes(error.code)) return false;
  return !error.findDetails(ErrorInfoSchema).some((info) => info.domain === "modelgate");
}

/**
 * Yields the stream's events, each exactly once, resuming after dropped connections; ends after the
 * finish event, or throws the ConnectError that ended the stream (the gateway's, or the connection's
 * once the resumes are used up). A request without a request id gets a random one: only a caller's id
 * can be resumed.
 */
export async function* resumableStream(
  client: Client<typeof GatewayService>,
  request: MessageInitShape<typeof StreamCompleteRequestSchema>,
  options: ResumableStreamOptions = {},
): AsyncGenerator<StreamCompleteResponse> {
  const { maxResumes = 5, backoffMs = 100 } = options;
  const first = create(StreamCompleteRequestSchema, request);
  const requestId = first.requestId !== "" ? first.requestId : `resume-${crypto.randomUUID()}`;
  const deadline = options.timeoutMs === undefined ? undefined : Date.now() + options.timeoutMs;
  let last = 0; // the position of the last event yielded; 0 before the first
  for (let resumes = 0; ; resumes++) {
    const call = { ...first, requestId, resumeAfterPosition: resumes === 0 ? first.resumeAfterPosition : last };
    try {
      const timeoutMs = deadline === undefined ? undefined : Math.max(deadline - Date.now(), 1);
      for await (const response of client.streamComplete(call, { signal: options.signal, timeoutMs })) {
        if (response.position <= last) continue; // a gateway never repeats one, but exactly once is this helper's promise
        last = response.position;
        yield response;
      }
      return;
    } catch (error) {
      const connectError = ConnectError.from(error);
      if (resumes === maxResumes || options.signal?.aborted === true || !isDroppedConnection(connectError)) throw connectError;
      options.onResume?.(last, connectError);
      await new Promise((resolve) => setTimeout(resolve, backoffMs * 2 ** resumes));
    }
  }
}
