/**
 * Node's HTTP/2 server sends trailers one event-loop turn after the response's data: the
 * 'wantTrailers' callback runs while the session writes, and what it submits waits for the session's
 * next write, after the next poll phase. Every gRPC response ends with trailers (grpc-status), so under
 * load each one reaches its client a turn late.
 *
 * A server whose every turn lasts 20 ms (a spinning setImmediate chain, as a busy gateway's would) answers
 * 40 requests from a client in another process, with and without trailers, and prints the client's
 * latency. No modelgate code involved.
 *
 *   node docs/repro/http2-trailers-turn.mjs
 */
import { spawn } from "node:child_process";
import http2 from "node:http2";

const turnMs = 20;

async function measure(withTrailers) {
  const server = http2.createServer();
  server.on("stream", (stream) => {
    stream.resume();
    stream.on("end", () => {
      stream.respond({ ":status": 200 }, { waitForTrailers: withTrailers });
      if (withTrailers) stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end(Buffer.alloc(10));
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  let spinning = true;
  const spin = () => {
    const end = performance.now() + turnMs;
    while (performance.now() < end);
    if (spinning) setImmediate(spin);
  };
  setImmediate(spin);
  const client = spawn(
    process.execPath,
    [
      "-e",
      `const http2 = require("node:http2");
       const session = http2.connect("http://127.0.0.1:${server.address().port}");
       (async () => {
         const latencies = [];
         for (let i = 0; i < 40; i++) {
           const began = performance.now();
           await new Promise((done) => { const request = session.request({ ":method": "POST", ":path": "/" }); request.resume(); request.on("close", done); request.end(Buffer.alloc(5)); });
           latencies.push(performance.now() - began);
           await new Promise((done) => setTimeout(done, 7));
         }
         latencies.sort((a, b) => a - b);
         console.log(latencies[20].toFixed(1) + " " + latencies[36].toFixed(1));
         session.close();
       })();`,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let output = "";
  client.stdout.on("data", (data) => (output += data));
  await new Promise((resolve) => client.on("exit", resolve));
  spinning = false;
  server.close();
  const [p50, p90] = output.trim().split(" ");
  console.log(`${withTrailers ? "with trailers   " : "without trailers"}: p50 ${p50} ms, p90 ${p90} ms (${(Number(p50) / turnMs).toFixed(1)} turns of ${turnMs} ms)`);
}

console.log(`Node ${process.version}`);
await measure(false);
await measure(true);
