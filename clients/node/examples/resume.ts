/**
 * Shows a stream surviving a dropped connection with connect-node. The example talks to the gateway
 * through a loopback TCP relay it owns, cuts every relayed connection after the third event, and lets
 * `resumableStream` call again with the same request id and the last position it saw: the answer
 * arrives whole, each event once, from the one model run.
 *
 * The gateway must keep a run going while nobody reads it (`replay: { keepDetachedRunsMs: 10000 }`) and
 * the model must be slow enough to cut mid-stream (the built-in `echo/echo-100ms`):
 *
 *     npx tsx clients/node/examples/resume.ts --url http://127.0.0.1:8080 --model echo/echo-100ms [--protocol grpc|connect]
 */
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { createServer, connect as connectTcp, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { Role } from "../../../gen/modelgate/v1/content_pb.js";
import { FinishReason } from "../../../gen/modelgate/v1/completion_pb.js";
import { GatewayService } from "../../../gen/modelgate/v1/gateway_service_pb.js";
import { resumableStream } from "../resumable-stream.js";

/** Forwards loopback TCP connections to the gateway and can cut them all at once. */
async function startRelay(target: URL): Promise<{ address: string; cutAll(): void; close(): void }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connectTcp(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => undefined);
      socket.on("close", () => sockets.delete(socket));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const cutAll = (): void => {
    for (const socket of sockets) socket.destroy();
  };
  return {
    address: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cutAll,
    close: () => {
      server.close();
      cutAll();
    },
  };
}

const { values } = parseArgs({
  options: {
    url: { type: "string", default: "http://127.0.0.1:8080" },
    model: { type: "string", default: "echo/echo-100ms" },
    protocol: { type: "string", default: "grpc" },
    "cut-after": { type: "string", default: "3" },
  },
});
const cutAfter = Number(values["cut-after"]);
const relay = await startRelay(new URL(values.url));
const transport =
  values.protocol === "connect"
    ? createConnectTransport({ baseUrl: relay.address, httpVersion: "1.1" })
    : createGrpcTransport({ baseUrl: relay.address });
const client = createClient(GatewayService, transport);
const request = {
  model: values.model,
  messages: [{ role: Role.USER, parts: [{ part: { case: "text" as const, value: "one two three four five six seven eight" } }] }],
};
const onResume = (after: number, cause: Error): void => {
  process.stdout.write(`\n[connection dropped (${cause.message}); resuming after position ${after}]\n`);
};

let events = 0;
try {
  for await (const response of resumableStream(client, request, { timeoutMs: 30_000, onResume })) {
    events++;
    const event = response.event;
    if (event.case === "start") process.stdout.write(`[${event.value.deployment}] `);
    else if (event.case === "textDelta") process.stdout.write(event.value.text);
    else if (event.case === "finish") process.stdout.write(` [${FinishReason[event.value.finishReason]}, ${events} events]\n`);
    if (events === cutAfter) relay.cutAll(); // the network fails under the call
  }
} finally {
  relay.close();
}
