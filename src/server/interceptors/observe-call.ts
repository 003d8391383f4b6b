/**
 * Runs `next` and tells `onEnd` how the call ended, unary or streaming alike: a stream ends when its
 * last message has been taken, when it throws, or when it is closed early (the client went away).
 * `onEnd` returns the error to throw in place of the one it was given, so an interceptor can map errors.
 */
import type { StreamRequest, StreamResponse, UnaryRequest, UnaryResponse } from "@connectrpc/connect";
import type { DescMessage } from "@bufbuild/protobuf";

export type AnyRequest = UnaryRequest<DescMessage, DescMessage> | StreamRequest<DescMessage, DescMessage>;
export type AnyResponse = UnaryResponse<DescMessage, DescMessage> | StreamResponse<DescMessage, DescMessage>;
export type AnyNext = (request: AnyRequest) => Promise<AnyResponse>;

/** How a call ended: with `error`, or `abandoned` (a stream closed before its end), or neither (success). */
export interface CallEnd {
  error?: unknown;
  abandoned: boolean;
}

export async function observeCall(next: AnyNext, request: AnyRequest, onEnd: (end: CallEnd) => unknown): Promise<AnyResponse> {
  let response: AnyResponse;
  try {
    response = await next(request);
  } catch (error) {
    throw onEnd({ error, abandoned: false });
  }
  if (!response.stream) {
    onEnd({ abandoned: false });
    return response;
  }
  return { ...response, message: observeStream(response.message, onEnd) };
}

async function* observeStream<T>(source: AsyncIterable<T>, onEnd: (end: CallEnd) => unknown): AsyncGenerator<T, void, undefined> {
  let ended = false;
  try {
    yield* source;
    ended = true;
    onEnd({ abandoned: false });
  } catch (error) {
    ended = true;
    throw onEnd({ error, abandoned: false });
  } finally {
    if (!ended) onEnd({ abandoned: true });
  }
}
