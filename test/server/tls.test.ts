/**
 * TLS and mutual TLS on the one port, over real sockets with certificates made at test time
 * (test-certificates.ts): connect-node over HTTP/2 and HTTP/1.1 (Connect, gRPC, gRPC-Web), grpc-go,
 * grpcio and grpcurl; client certificates standing for caller keys; a connection without a client
 * certificate refused when one is required; certificates replaced on disk or by a config reload served to
 * new connections without a restart. The real engine over the echo provider answers.
 * grpc-go needs Go, grpcio needs .venv (`.ci/install-tools.sh`), grpcurl `.tools/bin/grpcurl`: each is
 * skipped locally without them and fails when CI=true.
 */
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { X509Certificate } from "node:crypto";
import { promisify } from "node:util";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Role } from "../../gen/modelgate/v1/content_pb.js";
import { GatewayService } from "../../gen/modelgate/v1/gateway_service_pb.js";
import { createCallerAuthenticator } from "../../src/callers/caller-authenticator.js";
import { createCallerGate } from "../../src/callers/caller-gate.js";
import { generateCallerKey, hashCallerKey } from "../../src/callers/caller-key.js";
import { createEmptyKeyStore } from "../../src/callers/key-store.js";
import { createMemoryCallerLimiter } from "../../src/callers/memory-caller-limiter.js";
import { settingsNeedingRestart } from "../../src/config/config-reloader.js";
import { parseConfig } from "../../src/config/load-config.js";
import { configSchema, type GatewayConfig } from "../../src/config/schema.js";
import { createLogger } from "../../src/observability/logger.js";
import { createGatewayEngine } from "../../src/routing/create-gateway-engine.js";
import { createGatewayServer, type GatewayServer } from "../../src/server/create-server.js";
import { findGrpcurl, grpcurlInstallHint, runGrpcurl } from "./grpcurl.js";
import { createTestCertificates, type KeyPair, type TestCertificates } from "./test-certificates.js";

const execFileAsync = promisify(execFile);
const ROOT = join(import.meta.dirname, "..", "..");
const PYTHON = join(ROOT, ".venv", "bin", "python");
const required = process.env.CI === "true";
const bearer = generateCallerKey();
const logger = createLogger({ level: (process.env.MODELGATE_TEST_LOG_LEVEL as "info" | undefined) ?? "silent" });

let certificates: TestCertificates;
const servers: GatewayServer[] = [];

function gatewayConfig(tlsSection: Record<string, unknown>, withAuth: boolean): GatewayConfig {
  return configSchema.parse({
    server: { host: "127.0.0.1", port: 0, logLevel: "silent", playground: false, dashboard: false, tls: tlsSection },
    providers: { echo: { kind: "echo" } },
    deployments: { echo: { provider: "echo", model: "echo" } },
    aliases: { chat: { tiers: [["echo"]] }, other: { tiers: [["echo"]] } },
    auth: withAuth
      ? {
          keys: [
            { id: "billing", sha256: hashCallerKey(generateCallerKey()), policy: { aliases: ["chat"], metadata: { team: "billing" } } },
            { id: "tester", sha256: hashCallerKey(bearer) },
          ],
        }
      : undefined,
  });
}

/** The mutual TLS settings of the suites below: billing by subject, reports by URI SAN. */
function mutualTls(requireClientCert: boolean): Record<string, unknown> {
  return {
    certFile: certificates.server.cert,
    keyFile: certificates.server.key,
    clientCaFile: certificates.clientCa.cert,
    requireClientCert,
    callers: [
      { subject: "CN=billing,O=Acme", keyId: "billing" },
      { san: "URI:spiffe://acme/reports", keyId: "reports", policy: { aliases: ["other"] } },
    ],
  };
}

async function startServer(config: GatewayConfig, currentConfig?: () => GatewayConfig): Promise<GatewayServer> {
  const engine = await createGatewayEngine(config, { logger });
  const callers = createCallerGate(createCallerAuthenticator({ config: () => config.auth, store: createEmptyKeyStore(), logger }), createMemoryCallerLimiter());
  const server = await createGatewayServer({ config, engine, logger, callers, currentConfig });
  servers.push(server);
  return server;
}

const read = (path: string): Buffer => readFileSync(path);

/** TLS options of a client trusting the server CA, with a client certificate when given. */
function clientTls(client?: KeyPair): tls.SecureContextOptions {
  return { ca: read(certificates.serverCa.cert), ...(client === undefined ? {} : { cert: read(client.cert), key: read(client.key) }) };
}

function transport(kind: "connect-h2" | "connect-http1" | "grpc" | "grpc-web", baseUrl: string, client?: KeyPair): Transport {
  const nodeOptions = clientTls(client);
  switch (kind) {
    case "connect-h2":
      return createConnectTransport({ baseUrl, httpVersion: "2", nodeOptions });
    case "connect-http1":
      return createConnectTransport({ baseUrl, httpVersion: "1.1", nodeOptions });
    case "grpc":
      return createGrpcTransport({ baseUrl, nodeOptions });
    case "grpc-web":
      return createGrpcWebTransport({ baseUrl, httpVersion: "1.1", nodeOptions });
  }
}

function complete(through: Transport, model = "chat", headers: Record<string, string> = {}): Promise<string> {
  return createClient(GatewayService, through)
    .complete({ model, messages: [{ role: Role.USER, parts: [{ part: { case: "text", value: "hello over tls" } }] }] }, { headers, timeoutMs: 10_000 })
    .then((response) => response.text);
}

function codeOf(promise: Promise<unknown>): Promise<Code> {
  return promise.then(
    () => {
      throw new Error("expected a failure");
    },
    (error: unknown) => ConnectError.from(error).code,
  );
}

/** The certificate and protocol a fresh TLS connection gets. */
function handshake(port: number, alpn: string[], client?: KeyPair): Promise<{ protocol: string | false; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port, servername: "localhost", ALPNProtocols: alpn, ...clientTls(client) }, () => {
      resolve({ protocol: socket.alpnProtocol ?? false, fingerprint: socket.getPeerCertificate().fingerprint256 });
      socket.end();
    });
    socket.once("error", reject);
  });
}

const fingerprintOf = (pair: KeyPair): string => new X509Certificate(read(pair.cert)).fingerprint256;

async function eventually(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(() => {
  certificates = createTestCertificates();
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close(0)));
  certificates?.remove();
});

describe("TLS without client certificates", () => {
  let server: GatewayServer;
  beforeAll(async () => {
    server = await startServer(gatewayConfig({ certFile: certificates.server.cert, keyFile: certificates.server.key }, false));
  });

  it("gives an https URL", () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it("offers h2 first and http/1.1 by ALPN", async () => {
    expect((await handshake(server.port, ["h2", "http/1.1"])).protocol).toBe("h2");
    expect((await handshake(server.port, ["http/1.1"])).protocol).toBe("http/1.1");
  });

  for (const kind of ["connect-h2", "connect-http1", "grpc", "grpc-web"] as const) {
    it(`serves ${kind} over TLS`, async () => {
      expect(await complete(transport(kind, server.url))).toBe("hello over tls");
    });
  }

  it("refuses a client that does not trust the certificate", async () => {
    const untrusting = createConnectTransport({ baseUrl: server.url, httpVersion: "2" });
    await expect(complete(untrusting)).rejects.toThrow(/unable to verify the first certificate/);
  });
});

describe("mutual TLS, client certificate required", () => {
  let server: GatewayServer;
  beforeAll(async () => {
    server = await startServer(gatewayConfig(mutualTls(true), true));
  });

  it("makes a certificate mapped by subject its key's caller, with that key's policy", async () => {
    expect(await complete(transport("grpc", server.url, certificates.billing))).toBe("hello over tls");
    expect(await complete(transport("connect-http1", server.url, certificates.billing))).toBe("hello over tls");
    expect(await codeOf(complete(transport("grpc", server.url, certificates.billing), "other"))).toBe(Code.PermissionDenied);
  });

  it("makes a certificate mapped by SAN the caller with the mapping's own policy", async () => {
    expect(await complete(transport("connect-h2", server.url, certificates.reports), "other")).toBe("hello over tls");
    expect(await codeOf(complete(transport("connect-h2", server.url, certificates.reports), "chat"))).toBe(Code.PermissionDenied);
  });

  it("lets a bearer key decide when the call sends one", async () => {
    expect(await complete(transport("grpc", server.url, certificates.billing), "other", { authorization: `Bearer ${bearer}` })).toBe("hello over tls");
  });

  it("treats an unmapped certificate like no key at all", async () => {
    expect(await codeOf(complete(transport("grpc", server.url, certificates.stranger)))).toBe(Code.Unauthenticated);
  });

  it("refuses a connection without a client certificate", async () => {
    await expect(handshakeAndRead(server.port)).rejects.toThrow(/certificate required/);
    // connect-node reports the refused handshake as INTERNAL.
    await expect(complete(transport("grpc", server.url))).rejects.toThrow(/certificate required/);
    await expect(complete(transport("connect-http1", server.url))).rejects.toThrow(/certificate required/);
  });

  it("refuses a certificate from a CA it does not trust, whatever its subject", async () => {
    // Node closes such a connection right after the handshake, without an alert.
    await expect(handshakeAndRead(server.port, certificates.rogue)).rejects.toThrow();
    await expect(complete(transport("connect-http1", server.url, certificates.rogue))).rejects.toThrow();
  });

  describe("grpc-go", () => {
    let binary = "";
    const haveGo = existsSync("/usr/local/go/bin/go") || (process.env.PATH ?? "").split(":").some((directory) => existsSync(join(directory, "go")));
    const goIt = haveGo || required ? it : it.skip;
    beforeAll(async () => {
      if (!haveGo) return;
      binary = join(certificates.directory, "tls-client");
      await execFileAsync("go", ["build", "-o", binary, join(ROOT, "test/server/tls-clients/tls-client.go")], { cwd: join(ROOT, "clients/go"), timeout: 120_000 });
    }, 150_000);
    const run = async (args: string[]): Promise<string> =>
      (await execFileAsync(binary, ["-addr", `127.0.0.1:${server.port}`, "-ca", certificates.serverCa.cert, ...args], { timeout: 20_000 })).stdout.trim();

    goIt("calls with a mapped client certificate", async () => {
      expect(await run(["-cert", certificates.billing.cert, "-key", certificates.billing.key])).toBe("ok hello over tls");
      expect(await run(["-cert", certificates.billing.cert, "-key", certificates.billing.key, "-model", "other"])).toBe("PermissionDenied");
    });

    goIt("is refused without a client certificate", async () => {
      expect(await run([])).toBe("Unavailable");
    });
  });

  describe("grpcio", () => {
    const pythonIt = existsSync(PYTHON) || required ? it : it.skip;
    const run = async (args: string[]): Promise<string> =>
      (
        await execFileAsync(PYTHON, [join(ROOT, "test/server/tls-clients/tls_client.py"), "--target", `127.0.0.1:${server.port}`, "--ca", certificates.serverCa.cert, ...args], {
          timeout: 20_000,
        })
      ).stdout.trim();

    pythonIt("calls with a mapped client certificate", async () => {
      expect(await run(["--cert", certificates.billing.cert, "--key", certificates.billing.key])).toBe("ok hello over tls");
      expect(await run(["--cert", certificates.stranger.cert, "--key", certificates.stranger.key])).toBe("UNAUTHENTICATED");
    });

    pythonIt("is refused without a client certificate", async () => {
      expect(await run([])).toBe("UNAVAILABLE");
    });
  });

  describe("grpcurl", () => {
    const binary = findGrpcurl();
    const grpcurlIt = binary || required ? it : it.skip;
    const request = JSON.stringify({ model: "chat", messages: [{ role: "ROLE_USER", parts: [{ text: "hello over tls" }] }] });
    const grpcurl = (args: string[]) => {
      if (!binary) throw new Error(grpcurlInstallHint);
      return runGrpcurl(binary, ["-cacert", certificates.serverCa.cert, "-servername", "localhost", ...args]);
    };

    grpcurlIt("calls Complete through reflection with a mapped client certificate", async () => {
      const result = await grpcurl(["-cert", certificates.billing.cert, "-key", certificates.billing.key, "-d", request, `127.0.0.1:${server.port}`, "modelgate.v1.GatewayService/Complete"]);
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ text: "hello over tls" });
    });

    grpcurlIt("is refused without a client certificate", async () => {
      const result = await grpcurl([`127.0.0.1:${server.port}`, "list"]);
      expect(result.code).not.toBe(0);
    });
  });
});

/** Resolves when a TLS connection (with `client`'s certificate, if given) can send and read; rejects when refused. */
function handshakeAndRead(port: number, client?: KeyPair): Promise<void> {
  return new Promise((resolve, reject) => {
    // TLS 1.3 finishes the client's side of the handshake before the server checks the certificate:
    // the refusal arrives as an alert on the first read.
    const socket = tls.connect({ host: "127.0.0.1", port, servername: "localhost", ALPNProtocols: ["http/1.1"], ...clientTls(client) }, () => {
      socket.write("GET /healthz HTTP/1.1\r\nhost: localhost\r\n\r\n");
    });
    socket.once("data", () => {
      socket.destroy();
      resolve();
    });
    socket.once("error", reject);
    socket.once("close", () => reject(new Error("closed without an answer")));
  });
}

describe("mutual TLS, client certificate optional", () => {
  let server: GatewayServer;
  beforeAll(async () => {
    server = await startServer(gatewayConfig(mutualTls(false), true));
  });

  it("serves a call without a certificate that sends a bearer key", async () => {
    expect(await complete(transport("connect-h2", server.url), "chat", { authorization: `Bearer ${bearer}` })).toBe("hello over tls");
  });

  it("treats a call without a certificate or key as unauthenticated", async () => {
    expect(await codeOf(complete(transport("connect-h2", server.url)))).toBe(Code.Unauthenticated);
  });

  it("gives an untrusted certificate with a mapped subject no caller", async () => {
    expect(await codeOf(complete(transport("grpc", server.url, certificates.rogue)))).toBe(Code.Unauthenticated);
    expect(await complete(transport("grpc", server.url, certificates.billing))).toBe("hello over tls");
  });
});

describe("certificate rotation", () => {
  let directory: string;
  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), "modelgate-tls-rotate-"));
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it("serves a certificate replaced on disk to new connections without a restart", async () => {
    const live = { cert: join(directory, "live", "tls.crt"), key: join(directory, "live", "tls.key") };
    mkdirSync(join(directory, "live"));
    copyFileSync(certificates.server.cert, live.cert);
    copyFileSync(certificates.server.key, live.key);
    const server = await startServer(gatewayConfig({ certFile: live.cert, keyFile: live.key }, false));
    const open = transport("grpc", server.url);
    expect(await complete(open)).toBe("hello over tls");
    expect((await handshake(server.port, ["h2"])).fingerprint).toBe(fingerprintOf(certificates.server));

    // The certificate first, the key a moment later: the mismatched pair in between is not loaded.
    copyFileSync(certificates.nextServer.cert, live.cert);
    await new Promise((resolve) => setTimeout(resolve, 50));
    copyFileSync(certificates.nextServer.key, live.key);
    await eventually(async () => (await handshake(server.port, ["h2"])).fingerprint === fingerprintOf(certificates.nextServer));
    expect(await complete(transport("connect-http1", server.url))).toBe("hello over tls");
    // The connection opened before still serves.
    expect(await complete(open)).toBe("hello over tls");
  });

  it("serves the files a reloaded config names to new connections", async () => {
    let current = gatewayConfig({ certFile: certificates.server.cert, keyFile: certificates.server.key }, false);
    const server = await startServer(current, () => current);
    expect((await handshake(server.port, ["h2"])).fingerprint).toBe(fingerprintOf(certificates.server));
    current = gatewayConfig({ certFile: certificates.nextServer.cert, keyFile: certificates.nextServer.key }, false);
    expect((await handshake(server.port, ["h2"])).fingerprint).toBe(fingerprintOf(certificates.nextServer));
    expect(await complete(transport("grpc", server.url))).toBe("hello over tls");
  });

  it("keeps serving the old certificate when the reloaded files are not a certificate and its key", async () => {
    let current = gatewayConfig({ certFile: certificates.server.cert, keyFile: certificates.server.key }, false);
    const server = await startServer(current, () => current);
    current = gatewayConfig({ certFile: certificates.nextServer.cert, keyFile: certificates.server.key }, false);
    expect((await handshake(server.port, ["h2"])).fingerprint).toBe(fingerprintOf(certificates.server));
  });
});

describe("the server.tls config", () => {
  const base = "providers: { echo: { kind: echo } }\ndeployments: { echo: { provider: echo, model: echo } }\n";

  it("needs clientCaFile for requireClientCert", () => {
    expect(() => parseConfig(`server: { tls: { certFile: a, keyFile: b, requireClientCert: true } }\n${base}`, "test.yaml")).toThrow(/requireClientCert needs clientCaFile/);
  });

  it("needs a policy for a certificate caller whose keyId is not in auth.keys", () => {
    expect(() =>
      parseConfig(`server: { tls: { certFile: a, keyFile: b, clientCaFile: c, callers: [{ subject: "CN=x", keyId: nobody }] } }\nauth: {}\n${base}`, "test.yaml"),
    ).toThrow(/"nobody" is not in auth.keys/);
  });

  it("applies a changed server.tls on reload, but not turning TLS on or off", () => {
    const on = gatewayConfig({ certFile: "a", keyFile: "b" }, false);
    const renewed = gatewayConfig({ certFile: "c", keyFile: "d" }, false);
    const off = configSchema.parse({ ...on, server: { ...on.server, tls: undefined } });
    expect(settingsNeedingRestart(on, renewed)).toEqual([]);
    expect(settingsNeedingRestart(off, on)).toEqual(["server.tls"]);
    expect(settingsNeedingRestart(on, off)).toEqual(["server.tls"]);
  });

  it("needs exactly one of subject and san", () => {
    expect(() =>
      parseConfig(`server: { tls: { certFile: a, keyFile: b, clientCaFile: c, callers: [{ subject: "CN=x", san: "DNS:x", keyId: x, policy: {} }] } }\n${base}`, "test.yaml"),
    ).toThrow(/exactly one of subject and san/);
  });
});
