/**
 * The Kubernetes manifests in deploy/kubernetes/ (docs/deploy.md): no cluster runs here, so this reads
 * every YAML document and checks what makes a rollout and a shutdown go right: gRPC probes on the port
 * the config serves, a non-root pod, a termination grace that covers preStop + shutdownGraceMs, a config
 * file that the gateway's own validator accepts, and names that point at each other. lint.test.ts runs
 * the schema validator.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse, parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load-config.js";
import type { GatewayConfig } from "../../src/config/schema.js";

const root = path.join(import.meta.dirname, "..", "..");
const manifestsDirectory = path.join(root, "deploy", "kubernetes");

/** The cancellation step after the grace: running calls are aborted and get this long to settle (create-server.ts). */
const abortSettleSeconds = 1;
/** Time kept free for the engine to close (pools, Redis) after the last call. */
const marginSeconds = 2;

// Only the fields these checks read; everything else is the schema validator's job (lint.test.ts).
interface Metadata {
  name: string;
  labels?: Record<string, string>;
}
interface Probe {
  grpc?: { port: number; service?: string };
  httpGet?: unknown;
  tcpSocket?: unknown;
  exec?: unknown;
  periodSeconds?: number;
  failureThreshold?: number;
}
interface Container {
  name: string;
  image: string;
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string }[];
  envFrom?: { secretRef?: { name: string; optional?: boolean } }[];
  volumeMounts?: { name: string; mountPath: string; subPath?: string; readOnly?: boolean }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] }; sleep?: { seconds: number } } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; runAsNonRoot?: boolean; runAsUser?: number };
}
interface PodSpec {
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  containers: Container[];
  volumes?: { name: string; configMap?: { name: string } }[];
}
interface Resource {
  apiVersion: string;
  kind: string;
  metadata: Metadata;
  spec?: {
    replicas?: number;
    selector?: { matchLabels: Record<string, string> } | Record<string, string>;
    template?: { metadata: Metadata; spec: PodSpec };
    ports?: { name?: string; port: number; targetPort?: number | string }[];
    maxUnavailable?: number | string;
    minAvailable?: number | string;
    serviceName?: string;
  };
  data?: Record<string, string>;
}

const manifestFiles = readdirSync(manifestsDirectory).filter((file) => file.endsWith(".yaml") && file !== "kustomization.yaml");

const resources: Resource[] = manifestFiles.flatMap((file) =>
  parseAllDocuments(readFileSync(path.join(manifestsDirectory, file), "utf8")).map((document) => {
    if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0].message}`);
    return document.toJS() as Resource;
  }),
);

function find(kind: string, name: string): Resource {
  const found = resources.find((resource) => resource.kind === kind && resource.metadata.name === name);
  if (found === undefined) throw new Error(`no ${kind} ${name} in deploy/kubernetes`);
  return found;
}

const deployment = find("Deployment", "modelgate");
const podSpec = deployment.spec?.template?.spec as PodSpec;
const gateway = podSpec.containers.find((container) => container.name === "modelgate") as Container;
const configMap = find("ConfigMap", "modelgate-config");
const environment = Object.fromEntries((gateway.env ?? []).map((variable) => [variable.name, variable.value ?? ""]));
const configPath = environment.MODELGATE_CONFIG;
const configText = configMap.data?.[path.basename(configPath ?? "")] ?? "";

/** Megabytes of a Kubernetes quantity such as 256Mi or 1Gi. */
function mebibytes(quantity: string): number {
  const match = /^(\d+)(Mi|Gi)$/.exec(quantity);
  if (match === null) throw new Error(`unexpected memory quantity ${quantity}`);
  return Number(match[1]) * (match[2] === "Gi" ? 1024 : 1);
}

/** Seconds the preStop hook waits before SIGTERM. */
function preStopSeconds(container: Container): number {
  const preStop = container.lifecycle?.preStop;
  if (preStop?.sleep !== undefined) return preStop.sleep.seconds;
  const command = preStop?.exec?.command ?? [];
  const seconds = command.length === 2 && path.basename(command[0]) === "sleep" ? Number(command[1]) : Number.NaN;
  if (!Number.isFinite(seconds)) throw new Error(`preStop is not a sleep: ${JSON.stringify(preStop)}`);
  return seconds;
}

/** The ConfigMap's config as the gateway would load it in the pod, `redis` section included. */
function loadPodConfig(): { config: GatewayConfig } {
  // The provider keys are unset, as with an empty Secret: `${OPENAI_API_KEY:-}` and the like allow it.
  return { config: parseConfig(configText, "modelgate.yaml", { ...environment }) };
}

describe("deploy/kubernetes", () => {
  it("lists every manifest in kustomization.yaml", () => {
    const kustomization = parse(readFileSync(path.join(manifestsDirectory, "kustomization.yaml"), "utf8")) as { resources: string[] };
    expect([...kustomization.resources].sort()).toEqual([...manifestFiles].sort());
  });

  it("ships a config that the gateway's own validator accepts", () => {
    const { config } = loadPodConfig();
    expect(config.server.host).toBe("0.0.0.0");
    expect(config.redis?.url).toMatch(/^redis:\/\//);
    // The image carries no esbuild, which builds the playground on first use (Dockerfile).
    expect(config.server.playground).toBe(false);
  });

  it("points the config's redis.url at the Redis Service", () => {
    const raw = parse(configText) as { redis?: { url?: string } };
    expect(raw.redis?.url).toBe("${MODELGATE_REDIS_URL}");
    const url = new URL(environment.MODELGATE_REDIS_URL ?? "");
    const redisService = find("Service", url.hostname);
    expect(redisService.spec?.ports?.map((port) => port.port)).toContain(Number(url.port));
    expect(find("StatefulSet", url.hostname).spec?.serviceName).toBe(url.hostname);
  });

  it("sets every variable the config needs without a default", () => {
    const required = [...configText.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((match) => match[1]);
    for (const name of required) expect(environment, `${name} is set in the Deployment`).toHaveProperty(name);
    // Keys use ${VAR:-} and come from the Secret, which must exist (not optional).
    expect(gateway.envFrom).toEqual([{ secretRef: { name: "modelgate-provider-keys" } }]);
  });

  it("mounts the ConfigMap as a directory, so updates reach the file the gateway watches", () => {
    const volume = podSpec.volumes?.find((candidate) => candidate.configMap?.name === "modelgate-config");
    const mount = gateway.volumeMounts?.find((candidate) => candidate.name === volume?.name);
    expect(mount?.mountPath).toBe(path.dirname(configPath ?? ""));
    expect(mount?.subPath).toBeUndefined();
    expect(mount?.readOnly).toBe(true);
  });

  it("runs three replicas, each probed over grpc.health.v1 on the port the config serves", () => {
    const { config } = loadPodConfig();
    expect(deployment.spec?.replicas).toBe(3);
    expect(gateway.ports?.map((port) => port.containerPort)).toEqual([config.server.port]);
    for (const probe of [gateway.readinessProbe, gateway.livenessProbe]) {
      expect(probe?.grpc?.port).toBe(config.server.port);
      // The whole server (""), which turns NOT_SERVING when draining.
      expect(probe?.grpc?.service ?? "").toBe("");
      expect(probe?.httpGet ?? probe?.tcpSocket ?? probe?.exec).toBeUndefined();
    }
  });

  it("runs as a non-root user that Kubernetes can verify", () => {
    expect(podSpec.securityContext?.runAsNonRoot).toBe(true);
    expect(podSpec.securityContext?.runAsUser).toBeGreaterThan(0);
    expect(gateway.securityContext?.allowPrivilegeEscalation).toBe(false);
    expect(gateway.securityContext?.readOnlyRootFilesystem).toBe(true);
  });

  it("gives a terminating pod time for preStop, shutdownGraceMs and cancellation", () => {
    const { config } = loadPodConfig();
    const needed = preStopSeconds(gateway) + config.server.shutdownGraceMs / 1000 + abortSettleSeconds + marginSeconds;
    expect(preStopSeconds(gateway)).toBeGreaterThan(0);
    expect(podSpec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(needed);
  });

  it("does not restart a draining gateway for answering NOT_SERVING", () => {
    const { config } = loadPodConfig();
    const liveness = gateway.livenessProbe as Probe;
    const earliestRestartSeconds = ((liveness.failureThreshold ?? 3) - 1) * (liveness.periodSeconds ?? 10);
    expect(earliestRestartSeconds).toBeGreaterThan(config.server.shutdownGraceMs / 1000 + abortSettleSeconds);
  });

  it("requests memory above the reliability battery's 256 MiB bound", () => {
    expect(mebibytes(gateway.resources?.requests?.memory ?? "0Mi")).toBeGreaterThanOrEqual(256);
    expect(mebibytes(gateway.resources?.limits?.memory ?? "0Mi")).toBeGreaterThan(mebibytes(gateway.resources?.requests?.memory ?? "0Mi"));
    expect(gateway.resources?.requests?.cpu).toBeDefined();
  });

  it("selects the gateway's pods from the Service and the PodDisruptionBudget", () => {
    const podLabels = deployment.spec?.template?.metadata.labels ?? {};
    const service = find("Service", "modelgate");
    const serviceSelector = (service.spec?.selector ?? {}) as Record<string, string>;
    expect(podLabels).toMatchObject(serviceSelector);
    expect(Object.keys(serviceSelector).length).toBeGreaterThan(0);
    expect(gateway.ports?.map((port) => port.name)).toContain(service.spec?.ports?.[0].targetPort);

    const budget = find("PodDisruptionBudget", "modelgate");
    expect(podLabels).toMatchObject((budget.spec?.selector as { matchLabels: Record<string, string> }).matchLabels);
    expect(budget.spec?.maxUnavailable).toBe(1);
  });
});
