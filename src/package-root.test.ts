import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { findPackageRoot, packageRoot } from "./package-root.js";

const root = path.resolve(import.meta.dirname, "..");

describe("packageRoot", () => {
  it("finds the checkout from a module under src/", () => {
    expect(packageRoot()).toBe(root);
    expect(findPackageRoot(pathToFileURL(path.join(root, "src", "server", "pages", "page-assets.ts")).href)).toBe(root);
  });

  it("finds the checkout from the bundle and from its chunks", () => {
    expect(findPackageRoot(pathToFileURL(path.join(root, "dist", "modelgate.mjs")).href)).toBe(root);
    expect(findPackageRoot(pathToFileURL(path.join(root, "dist", "chunks", "cli-ABC123.mjs")).href)).toBe(root);
  });

  it("throws when no modelgate package.json is above the module", () => {
    const outside = mkdtempSync(path.join(os.tmpdir(), "modelgate-root-"));
    try {
      expect(() => findPackageRoot(pathToFileURL(path.join(outside, "modelgate.mjs")).href)).toThrow(/no package.json named "modelgate"/);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
