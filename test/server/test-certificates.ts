/**
 * Certificates made at test time with the `openssl` command (P-256 keys, valid for a day): a CA for
 * servers, one for clients, and an untrusted one; a server certificate for localhost and 127.0.0.1 (two,
 * to rotate); client certificates with a subject and a URI SAN.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface KeyPair {
  cert: string;
  key: string;
}

export interface TestCertificates {
  directory: string;
  /** Signs the server certificates (what clients trust). */
  serverCa: KeyPair;
  /** Signs the client certificates the gateway accepts (`server.tls.clientCaFile`). */
  clientCa: KeyPair;
  /** localhost / 127.0.0.1, and a second one to rotate to. */
  server: KeyPair;
  nextServer: KeyPair;
  /** Subject O=Acme, CN=billing. */
  billing: KeyPair;
  /** Subject CN=reports, SAN URI:spiffe://acme/reports. */
  reports: KeyPair;
  /** Signed by the client CA, mapped to no caller. */
  stranger: KeyPair;
  /** O=Acme, CN=billing again, but signed by a CA the gateway does not trust. */
  rogue: KeyPair;
  remove(): void;
}

function openssl(directory: string, args: string[]): void {
  execFileSync("openssl", args, { cwd: directory, stdio: ["ignore", "ignore", "pipe"] });
}

function newCa(directory: string, name: string): KeyPair {
  const pair = { cert: join(directory, `${name}.pem`), key: join(directory, `${name}-key.pem`) };
  openssl(directory, ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", pair.key, "-out", pair.cert, "-days", "1", "-subj", `/CN=${name}`]);
  return pair;
}

function issue(directory: string, ca: KeyPair, name: string, subject: string, extensions: string): KeyPair {
  const pair = { cert: join(directory, `${name}.pem`), key: join(directory, `${name}-key.pem`) };
  const request = join(directory, `${name}.csr`);
  const extensionFile = join(directory, `${name}.ext`);
  writeFileSync(extensionFile, `basicConstraints=critical,CA:FALSE\n${extensions}\n`);
  openssl(directory, ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", pair.key, "-out", request, "-subj", subject]);
  openssl(directory, ["x509", "-req", "-in", request, "-CA", ca.cert, "-CAkey", ca.key, "-CAcreateserial", "-out", pair.cert, "-days", "1", "-extfile", extensionFile]);
  return pair;
}

export function createTestCertificates(): TestCertificates {
  const directory = mkdtempSync(join(tmpdir(), "modelgate-tls-"));
  const serverCa = newCa(directory, "server-ca");
  const clientCa = newCa(directory, "client-ca");
  const rogueCa = newCa(directory, "rogue-ca");
  const serverExtensions = "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth";
  const clientExtensions = "extendedKeyUsage=clientAuth";
  return {
    directory,
    serverCa,
    clientCa,
    server: issue(directory, serverCa, "server", "/CN=localhost", serverExtensions),
    nextServer: issue(directory, serverCa, "next-server", "/CN=localhost", serverExtensions),
    billing: issue(directory, clientCa, "billing", "/O=Acme/CN=billing", clientExtensions),
    reports: issue(directory, clientCa, "reports", "/CN=reports", `${clientExtensions}\nsubjectAltName=URI:spiffe://acme/reports`),
    stranger: issue(directory, clientCa, "stranger", "/O=Acme/CN=stranger", clientExtensions),
    rogue: issue(directory, rogueCa, "rogue", "/O=Acme/CN=billing", clientExtensions),
    remove: () => rmSync(directory, { recursive: true, force: true }),
  };
}
