/**
 * A client certificate that stands for a caller key (mutual TLS between services, `server.tls.callers`).
 * The node handler asks `certificateCaller(request)` once per request and leaves a match in the call's
 * context (`certificateCallerKey`); the caller auth interceptor uses it when the call sends no
 * `authorization` header, so a bearer key, when sent, always decides. Only a certificate the handshake
 * verified against `server.tls.clientCaFile` counts, and only while `auth` is on.
 */
import { createContextKey } from "@connectrpc/connect";
import type { PeerCertificate, TLSSocket } from "node:tls";
import { rememberCallerPolicy, type AuthenticatedCaller } from "../callers/caller-authenticator.js";
import type { AuthConfig, KeyPolicy, ServerTlsConfig } from "../config/schema.js";
import type { NodeRequest } from "./node-handler.js";

/** The caller a request's client certificate stands for; undefined without a mapped certificate. */
export const certificateCallerKey = createContextKey<AuthenticatedCaller | undefined>(undefined, { description: "modelgate caller by client certificate" });

/** What a verified client certificate says about its holder. */
export interface ClientCertificate {
  /** Subject attributes, e.g. CN → ["billing"]; an attribute may repeat (OU). */
  subject: ReadonlyMap<string, readonly string[]>;
  /** Subject alternative names as "DNS:billing.internal", "URI:spiffe://acme/billing". */
  subjectAltNames: readonly string[];
}

/** Certificates already read, per connection (HTTP/1.1: the socket; HTTP/2: the session). */
const certificates = new WeakMap<object, ClientCertificate | null>();

function describe(peer: PeerCertificate): ClientCertificate | null {
  if (peer.subject === undefined) return null;
  const subject = new Map<string, string[]>();
  for (const [name, value] of Object.entries(peer.subject as unknown as Record<string, string | string[]>)) {
    subject.set(name, Array.isArray(value) ? value : [value]);
  }
  const subjectAltNames = (peer.subjectaltname ?? "").split(", ").filter((name) => name !== "");
  return { subject, subjectAltNames };
}

/** The request's client certificate when its connection is TLS and the certificate was verified. */
export function verifiedClientCertificate(request: NodeRequest): ClientCertificate | undefined {
  const connection = "stream" in request ? request.stream.session : request.socket;
  if (connection === undefined) return undefined;
  let known = certificates.get(connection);
  if (known === undefined) {
    // The HTTP/2 request's socket is a proxy to the TLS socket, which answers these reads.
    const socket = request.socket as Partial<TLSSocket>;
    known = socket.encrypted === true && socket.authorized === true && socket.getPeerCertificate !== undefined ? describe(socket.getPeerCertificate()) : null;
    certificates.set(connection, known);
  }
  return known ?? undefined;
}

/** "CN=billing,O=Acme" → [["CN", "billing"], ["O", "Acme"]]. */
function subjectAttributes(subject: string): [string, string][] {
  return subject.split(",").map((pair) => {
    const at = pair.indexOf("=");
    return [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
  });
}

/** True when `certificate` is the one `entry` names: every listed subject attribute, or the one SAN. */
export function certificateMatches(certificate: ClientCertificate, entry: ServerTlsConfig["callers"][number]): boolean {
  if (entry.san !== undefined) return certificate.subjectAltNames.includes(entry.san);
  if (entry.subject === undefined) return false;
  return subjectAttributes(entry.subject).every(([name, value]) => certificate.subject.get(name)?.includes(value) === true);
}

export interface CertificateCallerOptions {
  /** The serving config's `server.tls` and `auth` (they change with reloads). */
  tls: () => ServerTlsConfig | undefined;
  auth: () => AuthConfig | undefined;
}

/** Resolves the caller a request's client certificate stands for, as a bearer key would. */
export function createCertificateCaller(options: CertificateCallerOptions): (request: NodeRequest) => AuthenticatedCaller | undefined {
  return (request) => {
    const auth = options.auth();
    const entries = options.tls()?.callers ?? [];
    if (auth === undefined || !auth.enabled || entries.length === 0) return undefined;
    const certificate = verifiedClientCertificate(request);
    if (certificate === undefined) return undefined;
    const entry = entries.find((candidate) => certificateMatches(certificate, candidate));
    if (entry === undefined) return undefined;
    // The config check (load-config.ts) makes sure one of the two exists.
    const policy: KeyPolicy | undefined = entry.policy ?? auth.keys.find((key) => key.id === entry.keyId)?.policy;
    if (policy === undefined) return undefined;
    const { team, service, environment } = policy.metadata ?? {};
    const caller = { id: entry.keyId, team, service, environment };
    // Layers that ask for a caller's policy (PII redaction) see this one as they see a bearer key's.
    rememberCallerPolicy(caller, policy);
    return { keyId: entry.keyId, policy, caller };
  };
}
