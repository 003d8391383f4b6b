/**
 * Locates the grpcurl binary: `.tools/bin/grpcurl` (installed by `.ci/run`) or PATH. Suites skip without
 * it locally but FAIL when CI=true, so CI can never silently lose the interop check.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);
const root = join(import.meta.dirname, "..", "..");

export const grpcurlInstallHint =
  "grpcurl not found: run `GOBIN=$PWD/.tools/bin go install github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4`";

export function findGrpcurl(): string | undefined {
  const local = join(root, ".tools", "bin", "grpcurl");
  if (existsSync(local)) return local;
  for (const directory of (process.env.PATH ?? "").split(delimiter)) {
    const candidate = join(directory, "grpcurl");
    if (directory !== "" && existsSync(candidate)) return candidate;
  }
  return undefined;
}

export async function runGrpcurl(binary: string, args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await execFileAsync(binary, args, { timeout: 20_000, encoding: "utf8" });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; code?: number };
    return { stdout: failed.stdout ?? "", stderr: failed.stderr ?? "", code: typeof failed.code === "number" ? failed.code : 1 };
  }
}
