/**
 * Once per battery run: bundle the gateway from the working tree's src/ (as `npm run build` does, into
 * test-output/ so that dist/ is left alone) for every test's gateway process; after the run, regenerate
 * docs/reliability.md from the figures the tests stored.
 */
import path from "node:path";
import type { TestProject } from "vitest/node";
import { buildGateway } from "../../../scripts/build.js";
import { outputDirectory } from "./paths.js";
import { writeReport } from "./report.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The gateway bundle (modelgate.mjs) every battery test starts. */
    gatewayBundle: string;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const began = performance.now();
  const bundle = await buildGateway(path.join(outputDirectory, "dist"));
  project.provide("gatewayBundle", bundle);
  return () => {
    const written = writeReport((performance.now() - began) / 1_000);
    console.log(`reliability battery: figures written to ${path.relative(process.cwd(), written)}`);
  };
}
