/**
 * Identity-provider tokens as callers (browser callers, issue 18) over real sockets: a real JWKS served
 * over HTTP by this test, tokens signed at test time with jose, the real engine over the echo provider,
 * the real server on port 0 and a connect-node client (Connect-Web sends the same `authorization`
 * header). Limits apply per user (`sub`) under the policy the `plan` claim names; metrics label the
 * policy, never the user.
 */
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { exportJWK, generateKeyPair, SignJWT, type JWK, type CryptoKey } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorInfoSchema, QuotaFailureSchema } from "../../gen/google/rpc/error_details_pb.js";
import { Role } from "../../gen/modelgate/v1/content_pb.js";
import { GatewayService } from "../../gen/modelgate/v1/gateway_service_pb.js";
import { createCallerAuthenticator } from "../../src/callers/caller-authenticator.js";
import { createCallerGate } from "../../src/callers/caller-gate.js";
import { createEmptyKeyStore } from "../../src/callers/key-store.js";
import { createMemoryCallerLimiter } from "../../src/callers/memory-caller-limiter.js";
import { authSchema, configSchema } from "../../src/config/schema.js";
import type { CallRecord } from "../../src/observability/call-record.js";
import { createLogger } from "../../src/observability/logger.js";
import { createGatewayMetrics } from "../../src/observability/metrics.js";
import { createGatewayEngine } from "../../src/routing/create-gateway-engine.js";
import { createGatewayServer, type GatewayServer } from "../../src/server/create-server.js";
import { failure } from "./clients.js";

const issuer = "https://idp.test/";
const audience = "modelgate";
const logger = createLogger({ level: "silent" });

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

async function signingKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" } };
}

let served: JWK[] = [];
let jwksFetches = 0;
let jwksServer: Server;
let jwksUrl: string;
let server: GatewayServer;
let first: SigningKey;
const records: CallRecord[] = [];
let metrics: ReturnType<typeof createGatewayMetrics>;

async function token(key: SigningKey, claims: { sub?: string; plan?: string; iss?: string; aud?: string; exp?: number | string } = {}): Promise<string> {
  const jwt = new SignJWT({ plan: claims.plan ?? "free" })
    .setProtectedHeader({ alg: "ES256", kid: key.kid, typ: "JWT" })
    .setIssuer(claims.iss ?? issuer)
    .setAudience(claims.aud ?? audience)
    .setIssuedAt()
    .setExpirationTime(claims.exp ?? "5m");
  if (claims.sub !== "") jwt.setSubject(claims.sub ?? "alice");
  return jwt.sign(key.privateKey);
}

const client = () => createClient(GatewayService, createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }));
const ask = (bearer: string, model = "chat") =>
  client().complete({ model, messages: [{ role: Role.USER, parts: [{ part: { case: "text", value: "hello there" } }] }] }, { headers: { authorization: `Bearer ${bearer}` } });

beforeAll(async () => {
  first = await signingKey("key-1");
  served = [first.publicJwk];
  jwksServer = createServer((request, response) => {
    jwksFetches++;
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: served }));
  });
  jwksServer.listen(0, "127.0.0.1");
  await once(jwksServer, "listening");
  jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;

  const config = configSchema.parse({
    server: { host: "127.0.0.1", port: 0, logLevel: "silent", playground: false, metrics: true },
    providers: { echo: { kind: "echo" } },
    deployments: { echo: { provider: "echo", model: "echo" } },
    aliases: { chat: { tiers: [["echo"]] }, premium: { tiers: [["echo"]] } },
    auth: {
      jwt: {
        issuer,
        audience,
        jwksUrl,
        algorithms: ["ES256"],
        jwksCooldownMs: 0,
        policies: {
          free: { aliases: ["chat"], requestsPerMinute: 2, metadata: { team: "web" } },
          pro: { requestsPerMinute: 100 },
        },
      },
    },
  });
  const engine = await createGatewayEngine(config, { logger });
  metrics = createGatewayMetrics({ engine: () => engine, processMetrics: false });
  const callers = createCallerGate(createCallerAuthenticator({ config: () => config.auth, store: createEmptyKeyStore(), logger }), createMemoryCallerLimiter());
  const recorder = {
    record(record: CallRecord) {
      records.push(record);
      metrics.observeCall(record);
    },
    close: async () => {},
  };
  server = await createGatewayServer({ config, engine, logger, callers, metrics, recorder });
});

afterAll(async () => {
  await server?.close(0);
  jwksServer?.close();
});

describe("identity-provider tokens as callers", () => {
  it("admits a valid token as its user under the policy its plan claim names", async () => {
    const response = await ask(await token(first, { sub: "alice", plan: "pro" }), "premium");
    expect(response.text).toContain("hello");
    expect(records.at(-1)?.caller).toMatchObject({ id: "jwt:pro:alice", label: "jwt:pro" });
  });

  it("applies the mapped policy's aliases: a free user may not call premium", async () => {
    const error = await failure(ask(await token(first, { sub: "carol", plan: "free" }), "premium"));
    expect(error.code).toBe(Code.PermissionDenied);
    expect(records.at(-1)?.caller).toMatchObject({ id: "jwt:free:carol", team: "web" });
  });

  it.each([
    ["expired", { exp: Math.floor(Date.now() / 1000) - 3600 }],
    ["for another audience", { aud: "someone-else" }],
    ["from another issuer", { iss: "https://evil.test/" }],
    ["without a subject", { sub: "" }],
  ])("refuses a token %s with UNAUTHENTICATED", async (_, claims) => {
    const error = await failure(ask(await token(first, claims)));
    expect(error.code).toBe(Code.Unauthenticated);
    expect(error.findDetails(ErrorInfoSchema)[0].reason).toBe("UNAUTHENTICATED");
  });

  it("refuses a token signed by a key the JWKS does not have (unknown kid, and a known kid with a forged signature)", async () => {
    const stranger = await signingKey("key-unknown");
    expect((await failure(ask(await token(stranger)))).code).toBe(Code.Unauthenticated);
    const forger = await signingKey("key-1");
    expect((await failure(ask(await token(forger)))).code).toBe(Code.Unauthenticated);
  });

  it("refuses a token whose plan names no policy and there is no default, with PERMISSION_DENIED", async () => {
    expect((await failure(ask(await token(first, { plan: "enterprise" })))).code).toBe(Code.PermissionDenied);
  });

  it("limits each user on their own under the policy: dave's third call is refused, erin's first is not", async () => {
    const dave = await token(first, { sub: "dave", plan: "free" });
    await ask(dave);
    await ask(dave);
    const error = await failure(ask(dave));
    expect(error.code).toBe(Code.ResourceExhausted);
    expect(error.findDetails(QuotaFailureSchema)[0].violations[0]).toMatchObject({ subject: "key:jwt:free:dave", description: "requests per minute (2)" });
    expect((await ask(await token(first, { sub: "erin", plan: "free" }))).text).toContain("hello");
  });

  it("picks up a rotated key from the JWKS: a token with the new kid is admitted", async () => {
    const second = await signingKey("key-2");
    const fetchesBefore = jwksFetches;
    served = [first.publicJwk, second.publicJwk];
    expect((await ask(await token(second, { sub: "frank", plan: "pro" }))).text).toContain("hello");
    expect(jwksFetches).toBe(fetchesBefore + 1);
    served = [second.publicJwk];
  });

  it("labels metrics with the policy, never the user", async () => {
    const text = await metrics.scrape();
    expect(text).toContain('caller="jwt:pro"');
    expect(text).toContain('caller="jwt:free"');
    for (const user of ["alice", "carol", "dave", "erin", "frank"]) expect(text).not.toContain(user);
  });
});

describe("identity-provider keys from a file, and a JWKS that does not answer", () => {
  it("verifies against a JWKS file and sees a rotation written to it", async () => {
    const directory = mkdtempSync(join(tmpdir(), "modelgate-jwks-"));
    try {
      const path = join(directory, "jwks.json");
      const one = await signingKey("file-1");
      writeFileSync(path, JSON.stringify({ keys: [one.publicJwk] }));
      let now = Date.now();
      const config = authSchema.parse({ jwt: { issuer, audience, jwksFile: path, algorithms: ["ES256"], policies: { free: {} }, defaultPolicy: "free" } });
      const authenticator = createCallerAuthenticator({ config: () => config, store: createEmptyKeyStore(), logger, now: () => now });
      expect((await authenticator.authenticate(`Bearer ${await token(one, { sub: "gina", plan: "none" })}`))?.keyId).toBe("jwt:free:gina");
      const two = await signingKey("file-2");
      writeFileSync(path, JSON.stringify({ keys: [two.publicJwk] }));
      now += 1_000;
      expect((await authenticator.authenticate(`Bearer ${await token(two, { sub: "gina" })}`))?.caller.label).toBe("jwt:free");
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it("answers KEY_STORE_UNAVAILABLE (retry) when the JWKS URL does not answer", async () => {
    const config = authSchema.parse({ jwt: { issuer, audience, jwksUrl: "http://127.0.0.1:9/jwks.json", jwksTimeoutMs: 500, algorithms: ["ES256"], policies: { free: {} }, defaultPolicy: "free" } });
    const authenticator = createCallerAuthenticator({ config: () => config, store: createEmptyKeyStore(), logger });
    const key = await signingKey("nowhere");
    await expect(authenticator.authenticate(`Bearer ${await token(key)}`)).rejects.toMatchObject({ reason: "KEY_STORE_UNAVAILABLE" });
  });
});
