/**
 * modelgate.v1.AdminService: caller keys created, listed and revoked. Served only while the config has
 * an admin token, and every call must carry it (`authorization: Bearer <token>`, compared in constant
 * time). A created key is returned once and stored only as its SHA-256.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor, type ServiceImpl } from "@connectrpc/connect";
import { createHash, timingSafeEqual } from "node:crypto";
import type { Logger } from "pino";
import { AdminService, CallerKeySchema, type CallerKey, type CallerKeyPolicy } from "../../../gen/modelgate/v1/admin_service_pb.js";
import type { CallerGate } from "../../callers/caller-gate.js";
import { bearerKey, generateCallerKey, hashCallerKey, newKeyId, type KeyRecord } from "../../callers/caller-key.js";
import { keyPolicySchema, type GatewayConfig, type KeyPolicy } from "../../config/schema.js";

/** The config file's `auth.keys` as records (hashes and policies). */
export function configKeyRecords(config: GatewayConfig): KeyRecord[] {
  return (config.auth?.keys ?? []).map((key) => ({ id: key.id, sha256: key.sha256, name: key.id, policy: key.policy, createdAt: "", source: "config" as const }));
}

function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string): Buffer => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** Refuses every call without the admin token. */
export function adminTokenInterceptor(token: () => string | undefined): Interceptor {
  return (next) => async (request) => {
    const expected = token();
    if (expected === undefined || expected === "") throw new ConnectError("the admin API is off", Code.Unimplemented);
    const given = bearerKey(request.header.get("authorization"));
    if (given === undefined) throw new ConnectError("the admin token is required", Code.Unauthenticated);
    if (!sameSecret(given, expected)) throw new ConnectError("the admin token is not valid", Code.PermissionDenied);
    return next(request);
  };
}

function toPolicy(policy: CallerKeyPolicy | undefined): KeyPolicy {
  const parsed = keyPolicySchema.safeParse({
    aliases: policy === undefined || policy.aliases.length === 0 ? undefined : [...policy.aliases],
    requestsPerMinute: policy?.requestsPerMinute,
    tokensPerMinute: policy?.tokensPerMinute === undefined ? undefined : Number(policy.tokensPerMinute),
    dailyBudgetUsd: policy?.dailyBudgetUsd,
    monthlyBudgetUsd: policy?.monthlyBudgetUsd,
    maxConcurrentStreams: policy?.maxConcurrentStreams,
    redactPii: policy?.redactPii,
    metadata: { team: policy?.team || undefined, service: policy?.service || undefined, environment: policy?.environment || undefined },
  });
  if (!parsed.success) throw new ConnectError(`invalid policy: ${parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ")}`, Code.InvalidArgument);
  return parsed.data;
}

function toCallerKey(record: KeyRecord): CallerKey {
  const { policy } = record;
  return create(CallerKeySchema, {
    id: record.id,
    name: record.name,
    policy: {
      aliases: policy.aliases ?? [],
      requestsPerMinute: policy.requestsPerMinute,
      tokensPerMinute: policy.tokensPerMinute === undefined ? undefined : BigInt(policy.tokensPerMinute),
      dailyBudgetUsd: policy.dailyBudgetUsd,
      monthlyBudgetUsd: policy.monthlyBudgetUsd,
      maxConcurrentStreams: policy.maxConcurrentStreams,
      redactPii: policy.redactPii,
      team: policy.metadata?.team ?? "",
      service: policy.metadata?.service ?? "",
      environment: policy.metadata?.environment ?? "",
    },
    createTime: record.createdAt,
    revokeTime: record.revokedAt ?? "",
    fromConfig: record.source === "config",
  });
}

export interface AdminServiceOptions {
  callers: CallerGate;
  /** The config's static keys, listed beside the stored ones. */
  configKeys: () => KeyRecord[];
  logger: Logger;
}

export function createAdminServiceImpl(options: AdminServiceOptions): ServiceImpl<typeof AdminService> {
  const store = options.callers.authenticator.store;
  const storeError = (error: unknown): ConnectError =>
    new ConnectError("the key store did not answer; retry", Code.Unavailable, undefined, undefined, error);
  return {
    async createKey(request) {
      const key = generateCallerKey();
      const record: KeyRecord = {
        id: newKeyId(),
        sha256: hashCallerKey(key),
        name: request.name,
        policy: toPolicy(request.policy),
        createdAt: new Date().toISOString(),
        source: "store",
      };
      await store.create(record).catch((error: unknown) => {
        throw storeError(error);
      });
      options.logger.info({ keyId: record.id, name: record.name }, "caller key created");
      return { key, callerKey: toCallerKey(record) };
    },
    async listKeys() {
      const stored = await store.list().catch((error: unknown) => {
        throw storeError(error);
      });
      const all = [...options.configKeys(), ...stored].sort((a, b) => a.id.localeCompare(b.id));
      return { callerKeys: all.map(toCallerKey) };
    },
    async revokeKey(request) {
      if (options.configKeys().some((record) => record.id === request.id)) {
        throw new ConnectError("this key comes from the config file: remove it there", Code.FailedPrecondition);
      }
      const revoked = await store.revoke(request.id, new Date().toISOString()).catch((error: unknown) => {
        throw storeError(error);
      });
      if (revoked === undefined) throw new ConnectError(`no key with id ${request.id}`, Code.NotFound);
      options.logger.info({ keyId: revoked.id }, "caller key revoked");
      return { callerKey: toCallerKey(revoked) };
    },
  };
}
