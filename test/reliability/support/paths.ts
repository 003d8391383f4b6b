/** Where the battery writes: its bundle, gateway configs and logs, and the figures of each test. */
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repositoryDirectory = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const outputDirectory = path.join(repositoryDirectory, "test-output", "reliability");
export const figuresDirectory = path.join(outputDirectory, "figures");
export const reportPath = path.join(repositoryDirectory, "docs", "reliability.md");
