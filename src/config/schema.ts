/**
 * The config file's schema. One YAML file describes providers (how to reach a vendor), deployments (one
 * vendor model through one provider, with price and limits), aliases (the names callers use, with a
 * routing strategy and fallback tiers) and server settings. Validated strictly at start: unknown keys
 * are errors, because a typo in a gateway config should never be silently ignored.
 */
// A namespace import (zod 4's documented form) lets the bundler keep only the parts of zod used here;
// `import { z }` keeps all of it, locales and JSON Schema included.
import * as z from "zod";
import { defaultPoolLimits } from "../providers/http/pool-limits.js";
import { defaultResponseLimits } from "../providers/http/response-limits.js";
import { providerKinds } from "../providers/registry.js";
import { defaultConnectionLimits } from "./connection-limits.js";
import { defaultOverloadLimits } from "./overload-limits.js";

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();

export const timeoutsSchema = z
  .object({
    /** TCP/TLS connect. */
    connectMs: positiveInt.default(5_000),
    /** Response headers and the first event. */
    firstTokenMs: positiveInt.default(30_000),
    /** Gap between stream events. */
    idleMs: positiveInt.default(30_000),
    /** One whole attempt. */
    totalMs: positiveInt.default(300_000),
  })
  .strict();

/**
 * How much one upstream response may make the gateway hold; a response past a limit fails the attempt
 * (`malformed-response`) and routing falls back. A stream's total is bounded by `timeouts.totalMs`, not
 * by bytes.
 */
export const responseLimitsSchema = z
  .object({
    /** A non-streaming response body, in bytes. */
    maxResponseBytes: positiveInt.default(defaultResponseLimits.maxResponseBytes),
    /** One event of a stream (an SSE event, an NDJSON line), in bytes. */
    maxEventBytes: positiveInt.default(defaultResponseLimits.maxEventBytes),
  })
  .strict();

export const providerSchema = z
  .object({
    kind: z.enum(providerKinds),
    /** Vendor base URL, e.g. https://api.openai.com/v1. Not needed for `echo`. */
    baseUrl: z.string().url().optional(),
    /** Secret; use ${ENV_VAR}. An empty key disables the provider's deployments with a warning. */
    apiKey: z.string().optional(),
    headers: z.record(z.string(), z.string()).default({}),
    /** Calls in flight to this provider at once (one connection each over HTTP/1.1). */
    maxConnections: positiveInt.default(defaultPoolLimits.maxConnections),
    /**
     * Calls that may wait for a connection while all are busy; past them a call is refused at once
     * (RATE_LIMITED, RESOURCE_EXHAUSTED) and routing tries another deployment. Waiting counts against the
     * caller's deadline only, never against the vendor's time limits or its breaker.
     */
    maxQueued: nonNegativeInt.default(defaultPoolLimits.maxQueued),
    /** Azure OpenAI api-version; turns on deployment URLs and the api-key header. */
    azureApiVersion: z.string().optional(),
    timeouts: timeoutsSchema.partial().optional(),
    limits: responseLimitsSchema.default(responseLimitsSchema.parse({})),
    /**
     * Callers may name any of this vendor's models as "<provider>/<model>" (an ad-hoc deployment), not
     * only the configured deployments. Off by default: it spends this provider's key on any model a
     * caller names, and each name gets its own breaker and stats (`routing.maxAdHocDeployments`).
     */
    allowAnyModel: z.boolean().default(false),
  })
  .strict();

export const priceSchema = z
  .object({
    inputNanoUsd: nonNegativeInt,
    cachedInputNanoUsd: nonNegativeInt.optional(),
    outputNanoUsd: nonNegativeInt,
    asOf: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date YYYY-MM-DD"),
  })
  .strict();

export const capabilitiesSchema = z
  .object({
    tools: z.boolean().default(true),
    images: z.boolean().default(false),
    jsonSchema: z.boolean().default(false),
    assistantPrefix: z.boolean().default(false),
  })
  .strict();

export const deploymentSchema = z
  .object({
    provider: z.string().min(1),
    /** The vendor's model id. */
    model: z.string().min(1),
    contextWindow: positiveInt.default(128_000),
    maxOutputTokens: positiveInt.optional(),
    /** Overrides the built-in price table; required for models the table does not know to get a cost. */
    price: priceSchema.optional(),
    capabilities: capabilitiesSchema.default({ tools: true, images: false, jsonSchema: false, assistantPrefix: false }),
    /** Weight for the weighted strategy (canary splits). */
    weight: z.number().nonnegative().default(1),
    timeouts: timeoutsSchema.partial().optional(),
  })
  .strict();

export const strategySchema = z.enum(["priority", "cost", "latency", "weighted", "least-busy", "cost-under-latency-slo"]);

export const aliasSchema = z
  .object({
    strategy: strategySchema.default("priority"),
    /** Fallback tiers in order; the strategy orders deployments within a tier. */
    tiers: z.array(z.array(z.string().min(1)).min(1)).min(1),
    /** Overrides deployment weights for this alias. */
    weights: z.record(z.string(), z.number().nonnegative()).optional(),
    latencySloMs: positiveInt.optional(),
    fallbackOnContentFilter: z.boolean().default(false),
    shadow: z
      .object({ deployment: z.string().min(1), share: z.number().min(0).max(1) })
      .strict()
      .optional(),
  })
  .strict();

export const retrySchema = z
  .object({
    /** Upstream attempts per request in all, retries and fallbacks together. */
    maxAttempts: positiveInt.default(4),
    /** Retries on the same deployment before moving on. */
    maxRetriesPerDeployment: nonNegativeInt.default(1),
    baseDelayMs: positiveInt.default(100),
    maxDelayMs: positiveInt.default(2_000),
    /** Retries may be at most this share of requests (a retry budget, Envoy-style). */
    budgetRatio: z.number().min(0).max(1).default(0.2),
    /** Always allow this many concurrent retries whatever the budget. */
    budgetMinRetries: nonNegativeInt.default(3),
  })
  .strict();

export const breakerSchema = z
  .object({
    windowMs: positiveInt.default(30_000),
    minimumRequests: positiveInt.default(10),
    failureRateThreshold: z.number().gt(0).max(1).default(0.5),
    consecutiveFailures: positiveInt.default(5),
    openMs: positiveInt.default(5_000),
    maxOpenMs: positiveInt.default(120_000),
    halfOpenProbes: positiveInt.default(1),
  })
  .strict();

/**
 * Config reload without a restart (docs/config-reload.md). The file is re-read on SIGHUP, on a change
 * of the file (when `watchFile`), and on `POST /admin/reload` (when `server.admin.token` is set).
 */
export const reloadSchema = z
  .object({
    /** Reload when the config file changes; its directory is watched, so a replaced file is seen too. */
    watchFile: z.boolean().default(true),
    /** Quiet time after the last change before the file is read: a save in several writes is read once. */
    debounceMs: positiveInt.default(250),
  })
  .strict();

/** The admin HTTP routes on the gateway's port. */
export const adminSchema = z
  .object({
    /**
     * Bearer token for `POST /admin/reload`; without one (or empty) the route does not exist. A secret:
     * use ${MODELGATE_ADMIN_TOKEN}. At least 16 characters, so that it cannot be guessed.
     */
    token: z
      .string()
      .refine((token) => token === "" || token.length >= 16, { message: "must be at least 16 characters (or empty: no admin routes)" })
      .optional(),
  })
  .strict();

/**
 * TLS on the server's one port (src/server/tls-termination.ts): every protocol over HTTPS, ALPN `h2` and
 * `http/1.1`. The files are read at start and again when they change or the config reloads, so a renewed
 * certificate serves new connections without a restart; adding or removing the section needs one.
 */
export const serverTlsSchema = z
  .object({
    /** PEM certificate chain, leaf first. */
    certFile: z.string().min(1),
    /** PEM private key of the certificate. */
    keyFile: z.string().min(1),
    /** PEM CA bundle that client certificates must chain to; without it no client certificate is asked for. */
    clientCaFile: z.string().min(1).optional(),
    /** Refuse a connection (in the handshake) whose client sends no certificate signed by `clientCaFile`. */
    requireClientCert: z.boolean().default(false),
    /**
     * Client certificates that stand for a caller key (mutual TLS between services): a call over such a
     * connection that sends no `authorization` header is that key's caller. Matched by subject (every
     * listed attribute equal, e.g. "CN=billing,O=Acme") or by one subject alternative name
     * ("URI:spiffe://acme/billing", "DNS:billing.internal"). Used only when `auth` is on.
     */
    callers: z
      .array(
        z
          .object({
            subject: z.string().regex(/^[A-Za-z.0-9]+=[^,]*(,[A-Za-z.0-9]+=[^,]*)*$/, 'attributes as "CN=name,O=org"').optional(),
            san: z.string().regex(/^(DNS|URI|IP Address|email):.+$/, 'a type and value, e.g. "URI:spiffe://acme/billing"').optional(),
            /** The caller's key id: an `auth.keys` id (its policy applies) or an id of its own with `policy`. */
            keyId: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "letters, digits, _ . - only"),
            /** Overrides the policy of the `auth.keys` entry with this id; required when there is none. */
            policy: z.lazy(() => keyPolicySchema).optional(),
          })
          .strict()
          .refine((entry) => (entry.subject === undefined) !== (entry.san === undefined), { message: "set exactly one of subject and san" }),
      )
      .default([]),
  })
  .strict()
  .refine((tls) => !tls.requireClientCert || tls.clientCaFile !== undefined, {
    message: "requireClientCert needs clientCaFile (the CA client certificates must chain to)",
    path: ["requireClientCert"],
  })
  .refine((tls) => tls.callers.length === 0 || tls.clientCaFile !== undefined, {
    message: "callers need clientCaFile: only a certificate the CA signed can stand for a key",
    path: ["callers"],
  });

export const serverSchema = z
  .object({
    host: z.string().default("127.0.0.1"),
    port: nonNegativeInt.max(65_535).default(8080),
    cors: z
      .object({ allowedOrigins: z.array(z.string()).default([]) })
      .strict()
      .default({ allowedOrigins: [] }),
    /** Time and size limits of every client connection (src/server/listener.ts). */
    connections: z
      .object({
        headersTimeoutMs: positiveInt.default(defaultConnectionLimits.headersTimeoutMs),
        requestTimeoutMs: positiveInt.default(defaultConnectionLimits.requestTimeoutMs),
        keepAliveTimeoutMs: positiveInt.default(defaultConnectionLimits.keepAliveTimeoutMs),
        idleTimeoutMs: positiveInt.default(defaultConnectionLimits.idleTimeoutMs),
        maxConcurrentStreams: positiveInt.max(2 ** 31 - 1).default(defaultConnectionLimits.maxConcurrentStreams),
        maxHeaderBytes: positiveInt.default(defaultConnectionLimits.maxHeaderBytes),
        maxStreamResetsPerSecond: positiveInt.default(defaultConnectionLimits.maxStreamResetsPerSecond),
        maxUnservedStreamResetsPerSecond: positiveInt.default(defaultConnectionLimits.maxUnservedStreamResetsPerSecond),
      })
      .strict()
      .refine((limits) => limits.headersTimeoutMs <= limits.requestTimeoutMs, {
        message: "headersTimeoutMs must not exceed requestTimeoutMs (the head is part of the request)",
        path: ["headersTimeoutMs"],
      })
      .default(defaultConnectionLimits),
    /**
     * Completions running at once, adapted to how late the event loop runs; the rest wait in a bounded
     * queue (src/gateway/overload-gate.ts). Full queue: RATE_LIMITED, cause gateway_overloaded.
     */
    overload: z
      .object({
        targetLoopDelayMs: positiveInt.default(defaultOverloadLimits.targetLoopDelayMs),
        minConcurrentCalls: positiveInt.default(defaultOverloadLimits.minConcurrentCalls),
        maxConcurrentCalls: positiveInt.default(defaultOverloadLimits.maxConcurrentCalls),
        maxQueuedCalls: nonNegativeInt.default(defaultOverloadLimits.maxQueuedCalls),
      })
      .strict()
      .refine((limits) => limits.minConcurrentCalls <= limits.maxConcurrentCalls, {
        message: "minConcurrentCalls must not exceed maxConcurrentCalls",
        path: ["minConcurrentCalls"],
      })
      .default(defaultOverloadLimits),
    maxMessageBytes: positiveInt.default(4 * 1024 * 1024),
    maxMessages: positiveInt.default(1_000),
    defaultDeadlineMs: positiveInt.default(120_000),
    maxDeadlineMs: positiveInt.default(600_000),
    shutdownGraceMs: nonNegativeInt.default(10_000),
    /**
     * After this long with an idle event loop, the young generation's memory goes back to the OS
     * (src/server/idle-memory-release.ts); 0, the default, turns it off.
     */
    releaseIdleMemoryAfterMs: nonNegativeInt.default(0),
    logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    /** Log prompts and completions at debug level. Off by default: prompts are user data. */
    logPrompts: z.boolean().default(false),
    playground: z.boolean().default(true),
    /** Serve the live health page at `/dashboard` (src/dashboard/); the WatchHealth RPC is there either way. */
    dashboard: z.boolean().default(true),
    /** Serve the OpenAI-compatible HTTP API (`/v1/chat/completions`, `/v1/models`) on the same port. */
    openaiCompatibleApi: z.boolean().default(true),
    /** Serve Prometheus metrics at `GET /metrics` on the same port (src/observability/metrics.ts). */
    metrics: z.boolean().default(true),
    /**
     * Also append every call's record (request id, caller, tags, route, attempts, tokens, cost; never
     * text) as one JSON line to this file (docs/observability.md shows how to query it).
     */
    recordsFile: z.string().min(1).optional(),
    admin: adminSchema.default({}),
    /** Serve TLS (and optionally mutual TLS) instead of cleartext; absent: cleartext HTTP/1.1 and h2c. */
    tls: serverTlsSchema.optional(),
  })
  .strict();

/**
 * Redis, when several replicas share breakers, routing inputs and stats (src/state/redis-store.ts).
 * Without it every replica keeps its own state in memory. Redis down, slow or unreachable never holds
 * a request longer than `commandTimeoutMs`: the replica falls back to its own memory and rejoins when
 * Redis answers again.
 */
export const redisSchema = z
  .object({
    /** `redis://[user:password@]host:port[/db]`, or `rediss://` for TLS. */
    url: z.string().regex(/^rediss?:\/\//, "must start with redis:// or rediss://").optional(),
    /** A Redis Cluster's seed nodes (`redis://host:port` each); used instead of `url`. */
    clusterNodes: z.array(z.string().regex(/^rediss?:\/\//, "must start with redis:// or rediss://")).min(1).optional(),
    username: z.string().optional(),
    /** Overrides a password in the URL; typically `${MODELGATE_REDIS_PASSWORD}`. */
    password: z.string().optional(),
    /** TLS beyond what `rediss://` turns on: a private CA, or a server name to check. */
    tls: z
      .object({ caFile: z.string().optional(), serverName: z.string().optional(), rejectUnauthorized: z.boolean().default(true) })
      .strict()
      .optional(),
    /** Put before every key and channel, so several gateways can share one Redis. */
    keyPrefix: z.string().default("modelgate:"),
    /** The longest any Redis command may hold a request. */
    commandTimeoutMs: positiveInt.default(250),
    connectTimeoutMs: positiveInt.default(2_000),
    /** How old a replica's local copy of shared routing inputs may get before it is re-read. */
    refreshMs: positiveInt.default(250),
  })
  .strict()
  .refine((redis) => (redis.url === undefined) !== (redis.clusterNodes === undefined), {
    message: "set exactly one of url (a single node) and clusterNodes (a cluster)",
  });

/**
 * Caller authentication, limits and budgets (src/callers/). Callers send `authorization: Bearer <key>`;
 * keys are kept only as SHA-256 hashes. Without an `auth` section nothing is checked (local development
 * and configs older than this section); with one, `enabled` defaults to true.
 */
export const keyPolicySchema = z
  .object({
    /** The model names (aliases, deployments) this key may call; absent: every name. */
    aliases: z.array(z.string().min(1)).optional(),
    requestsPerMinute: positiveInt.optional(),
    /** Input plus output tokens per minute; each call reserves its estimate and settles to real usage. */
    tokensPerMinute: positiveInt.optional(),
    /** Spend per UTC day and month; checked before each call, so the call that crosses it finishes. */
    dailyBudgetUsd: z.number().positive().optional(),
    monthlyBudgetUsd: z.number().positive().optional(),
    maxConcurrentStreams: positiveInt.optional(),
    /** Replace e-mail addresses, phone, card and IBAN numbers in this caller's requests before they leave (src/redaction/). */
    redactPii: z.boolean().optional(),
    /** Who the key belongs to; goes into the call's log line and scope. */
    metadata: z
      .object({ team: z.string().optional(), service: z.string().optional(), environment: z.string().optional() })
      .strict()
      .default({}),
  })
  .strict();

const policyNamePattern = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Tokens from the operator's identity provider (src/callers/jwt-verifier.ts): browser callers send their
 * session JWT as the bearer instead of a key. The token must carry `issuer`, one of `audience`, a `sub`,
 * and a signature by a key from the JWKS (`jwksUrl`, fetched and cached, or `jwksFile`); the claim
 * `policyClaim` names the entry of `policies` whose limits apply, per user (`sub`).
 */
export const jwtAuthSchema = z
  .object({
    issuer: z.string().min(1),
    audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    /** The identity provider's JWKS endpoint; set exactly one of jwksUrl and jwksFile. */
    jwksUrl: z.string().url().optional(),
    /** A JWKS on disk; re-read when it changes. */
    jwksFile: z.string().min(1).optional(),
    /** Signature algorithms accepted; pinned, never every algorithm a key allows. */
    algorithms: z.array(z.enum(["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"])).min(1).default(["RS256", "ES256"]),
    clockToleranceSeconds: z.number().int().min(0).max(300).default(30),
    /** One JWKS fetch may take this long. */
    jwksTimeoutMs: positiveInt.default(5_000),
    /** No refetch sooner than this after the last, even for an unknown `kid` (bounds what forged tokens cost). */
    jwksCooldownMs: z.number().int().min(0).default(30_000),
    /** A fetched JWKS is used this long before it is fetched again. */
    jwksMaxAgeMs: positiveInt.default(600_000),
    /** The claim whose value (a string, or the first of an array that names a policy) picks the policy. */
    policyClaim: z.string().min(1).default("plan"),
    policies: z.record(z.string().regex(policyNamePattern, "letters, digits, _ . - only"), keyPolicySchema),
    /** The policy of a token without the claim, or whose claim names none; absent: such tokens are refused. */
    defaultPolicy: z.string().optional(),
  })
  .strict()
  .refine((jwt) => (jwt.jwksUrl === undefined) !== (jwt.jwksFile === undefined), { message: "set exactly one of jwksUrl and jwksFile" })
  .refine((jwt) => jwt.defaultPolicy === undefined || jwt.policies[jwt.defaultPolicy] !== undefined, { message: "defaultPolicy must name one of policies" });

export const authSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** JWTs from the operator's identity provider, beside the keys (browser callers). */
    jwt: jwtAuthSchema.optional(),
    /** Keys from the config: each as the SHA-256 (hex) of the key, never the key itself. */
    keys: z
      .array(
        z
          .object({
            id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "letters, digits, _ . - only"),
            sha256: z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lower-case hex digits"),
            policy: keyPolicySchema.default(keyPolicySchema.parse({})),
          })
          .strict(),
      )
      .default([]),
    /** Without Redis, where created keys (hashes) are kept so that they survive a restart. */
    keyFile: z.string().optional(),
    /** A call without `max_output_tokens` reserves this many output tokens against `tokensPerMinute`. */
    defaultOutputTokens: positiveInt.default(1_024),
  })
  .strict();

/**
 * PII redaction (src/redaction/), opt-in: requests for `aliases` (and every request of a caller whose key
 * policy sets `redactPii`) have e-mail addresses, phone numbers, payment card numbers (Luhn-checked),
 * IBANs (mod-97-checked) and US social security numbers in their user, assistant and tool text replaced
 * by typed placeholders (`[EMAIL_1]`) before any vendor sees them; the call record counts them by type.
 */
export const redactionSchema = z
  .object({
    /** Model names (aliases, deployments) whose every request is redacted. */
    aliases: z.array(z.string().min(1)).default([]),
    /** What is detected; absent: all of them. */
    types: z.array(z.enum(["email", "phone", "card", "iban", "ssn"])).min(1).optional(),
  })
  .strict();

/**
 * Requests answered once (src/replay/): a duplicate request id joins or replays its one run, a stream
 * can be resumed after a position, and the opt-in exact cache. Runs are kept in Redis when the config
 * has a `redis` section (any replica can join or resume them), otherwise in this replica's memory.
 */
const replayCacheAliasSchema = z
  .object({
    /** Cache this alias's requests unless a request says `cache: false`. */
    enabled: z.boolean().default(true),
    /** Cache requests whose temperature is not 0 (their answers are one sample of many). */
    allowNonDeterministic: z.boolean().default(false),
    /** One entry serves every caller (otherwise entries are per caller). */
    shareAcrossCallers: z.boolean().default(false),
    ttlMs: positiveInt.optional(),
  })
  .strict();

export const replaySchema = z
  .object({
    /** Duplicate request ids join or replay their one run; streams are recorded for resuming. */
    enabled: z.boolean().default(true),
    /** How long a finished run answers duplicates and resumes. */
    ttlMs: positiveInt.default(3_600_000),
    /** Events kept per stream; a resume before the oldest kept is refused (RESUME_NOT_FOUND). */
    maxEvents: positiveInt.default(10_000),
    /** Runs kept in this replica's memory (its own, and all of them without Redis); the oldest go first. */
    maxRuns: positiveInt.default(1_000),
    /** A replica renews its claim on a running run this often × 3; a run not renewed was lost. */
    leaseMs: positiveInt.default(3_000),
    /**
     * How long a run whose readers all went away before it ended keeps going, waiting for one to come
     * back (a resume or a duplicate), before it is cancelled and the vendor call with it. 0 cancels at
     * once, as without this layer; a resume after a dropped connection needs more than 0.
     */
    keepDetachedRunsMs: nonNegativeInt.default(0),
    cache: z
      .object({
        /** The TTL of an entry unless its alias sets one. */
        ttlMs: positiveInt.default(300_000),
        /** Aliases (or deployment names) whose requests are cached, and how. */
        aliases: z.record(z.string(), replayCacheAliasSchema).default({}),
      })
      .strict()
      .default({ ttlMs: 300_000, aliases: {} }),
  })
  .strict();

/**
 * OpenTelemetry traces (src/observability/tracing-*.ts). A span per request and per upstream attempt is
 * always made through `@opentelemetry/api`; only with `otlp` set does the gateway load the SDK and
 * export them. Without it nothing records or exports, unless the process registered an SDK of its own.
 */
export const telemetrySchema = z
  .object({
    otlp: z
      .object({
        /** The collector's OTLP/HTTP base URL, like OTEL_EXPORTER_OTLP_ENDPOINT; spans go to `<endpoint>/v1/traces` as JSON. */
        endpoint: z.string().url(),
        /** Sent with every export (e.g. a vendor's API key): never logged. */
        headers: z.record(z.string(), z.string()).default({}),
        serviceName: z.string().min(1).default("modelgate"),
        /** The share of traces started here that are kept; a caller's sampled flag decides for its own. */
        sampleRatio: z.number().min(0).max(1).default(1),
        /** How long finished spans wait to be sent together. */
        exportDelayMs: positiveInt.default(5_000),
        exportTimeoutMs: positiveInt.default(10_000),
      })
      .strict()
      .optional(),
  })
  .strict();

export const configSchema = z
  .object({
    server: serverSchema.default(serverSchema.parse({})),
    reload: reloadSchema.default(reloadSchema.parse({})),
    redis: redisSchema.optional(),
    replay: replaySchema.default(replaySchema.parse({})),
    auth: authSchema.optional(),
    redaction: redactionSchema.optional(),
    telemetry: telemetrySchema.optional(),
    providers: z.record(z.string(), providerSchema),
    deployments: z.record(z.string(), deploymentSchema),
    aliases: z.record(z.string(), aliasSchema).default({}),
    routing: z
      .object({
        /** Tried after an alias's own tiers are exhausted. */
        defaultChain: z.array(z.string()).default([]),
        retry: retrySchema.default(retrySchema.parse({})),
        breaker: breakerSchema.default(breakerSchema.parse({})),
        timeouts: timeoutsSchema.default(timeoutsSchema.parse({})),
        /**
         * Ad-hoc deployments ("<provider>/<model>" names, see `allowAnyModel`) whose breaker and stats
         * are kept; beyond it the least recently used is forgotten. Configured deployments never are.
         */
        maxAdHocDeployments: positiveInt.default(1_000),
      })
      .strict()
      .default({
        defaultChain: [],
        retry: retrySchema.parse({}),
        breaker: breakerSchema.parse({}),
        timeouts: timeoutsSchema.parse({}),
        maxAdHocDeployments: 1_000,
      }),
  })
  .strict();

export type GatewayConfig = z.infer<typeof configSchema>;
export type ProviderConfig = z.infer<typeof providerSchema>;
export type DeploymentConfig = z.infer<typeof deploymentSchema>;
export type AliasConfig = z.infer<typeof aliasSchema>;
export type RedisConfig = z.infer<typeof redisSchema>;
export type ReplayConfig = z.infer<typeof replaySchema>;
export type RetryConfig = z.infer<typeof retrySchema>;
export type BreakerConfig = z.infer<typeof breakerSchema>;
export type TimeoutsConfig = z.infer<typeof timeoutsSchema>;
export type ResponseLimitsConfig = z.infer<typeof responseLimitsSchema>;
export type ServerConfig = z.infer<typeof serverSchema>;
export type ServerTlsConfig = z.infer<typeof serverTlsSchema>;
export type ReloadConfig = z.infer<typeof reloadSchema>;
export type AuthConfig = z.infer<typeof authSchema>;
export type KeyPolicy = z.infer<typeof keyPolicySchema>;
export type JwtAuthConfig = z.infer<typeof jwtAuthSchema>;
export type RedactionConfig = z.infer<typeof redactionSchema>;
export type TelemetryConfig = z.infer<typeof telemetrySchema>;
