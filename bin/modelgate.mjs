#!/usr/bin/env node
// The `modelgate` command: runs src/main.ts through tsx, so `npx modelgate` works without a build step.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/main.ts");
process.exitCode = await main(process.argv.slice(2));
