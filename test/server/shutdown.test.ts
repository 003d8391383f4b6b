/**
 * Graceful shutdown over real sockets: health turns NOT_SERVING, new connections are refused, a running
 * stream finishes within the grace period, and after it the engine's signal is aborted.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { Role } from "../../gen/modelgate/v1/content_pb.js";
import type { StreamCompleteResponse } from "../../gen/modelgate/v1/stream_pb.js";
import { gatewayClient, type ProtocolName } from "./clients.js";
import { startTestServer } from "./start-test-server.js";

const message = (text: string) => ({ role: Role.USER, parts: [{ part: { case: "text" as const, value: text } }] });

for (const protocol of ["grpc-h2c", "connect-http1"] as ProtocolName[]) {
  describe(`graceful shutdown (${protocol})`, () => {
    it("lets a running stream finish, reports NOT_SERVING and refuses new connections", async () => {
      const test = await startTestServer({}, { slowWordMs: 80 });
      const client = gatewayClient(protocol, test.server.url);
      const events: StreamCompleteResponse[] = [];
      let closing: Promise<void> | undefined;
      for await (const event of client.streamComplete({ model: "slow", messages: [message("one two three four five")] })) {
        events.push(event);
        if (!closing) {
          closing = test.server.close(5_000);
          expect(test.server.health.get("")).toBe("NOT_SERVING");
          expect(test.server.draining).toBe(true);
          await expect(fetch(`${test.server.url}/modelgate.v1.GatewayService/Complete`, { method: "POST" })).rejects.toThrow();
        }
      }
      expect(events.at(-1)?.event.case).toBe("finish");
      expect(events.filter((event) => event.event.case === "textDelta")).toHaveLength(5);
      await closing;
      expect(test.engine.calls[0].context.signal.aborted).toBe(false);
    });

    it("aborts the engine's signal when the grace period is over", async () => {
      const test = await startTestServer();
      const client = gatewayClient(protocol, test.server.url);
      const aborted = test.engine.aborted();
      const streaming = (async () => {
        for await (const _event of client.streamComplete({ model: "hang", messages: [message("wait")] })) {
          // never yields
        }
      })().then(() => undefined, (reason: unknown) => ConnectError.from(reason));
      while (test.engine.calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      const started = Date.now();
      await test.server.close(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
      await expect(aborted).resolves.toBeDefined();
      const error = await streaming;
      expect(error?.code).toBe(Code.Unavailable);
      expect(error?.findDetails(ErrorInfoSchema)[0]?.reason).toBe("SHUTTING_DOWN");
    });
  });
}
