/**
 * The folder of modelgate's own package.json, found by walking up from the calling module's location.
 * Files that live beside the code rather than in it (the playground's sources, `../shared/fixtures`,
 * optional packages such as pino-pretty) are resolved from here, so one path works both from `src/`
 * under tsx and from the bundle, whose `import.meta.url` is `dist/modelgate.mjs` or a chunk in
 * `dist/chunks/` (see scripts/build.ts).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const packageName = "modelgate";

function isModelgateManifest(file: string): boolean {
  try {
    const manifest: unknown = JSON.parse(readFileSync(file, "utf8"));
    return typeof manifest === "object" && manifest !== null && (manifest as { name?: unknown }).name === packageName;
  } catch {
    return false;
  }
}

/** Walks up from `fromUrl` (a file URL) to the folder holding modelgate's package.json; throws when there is none. */
export function findPackageRoot(fromUrl: string): string {
  const start = path.dirname(fileURLToPath(fromUrl));
  for (let directory = start; ; directory = path.dirname(directory)) {
    if (isModelgateManifest(path.join(directory, "package.json"))) return directory;
    if (path.dirname(directory) === directory) throw new Error(`no package.json named "${packageName}" in ${start} or above`);
  }
}

let cached: string | undefined;

/** modelgate's root folder (the checkout), found once from this module's own location. */
export function packageRoot(): string {
  cached ??= findPackageRoot(import.meta.url);
  return cached;
}
