/**
 * Headless Chromium for the browser suites (scenario runner, playground), launched with playwright-core
 * against the system Chromium (no downloaded browser). Each launch gets playwright's fresh temporary
 * profile, so no cookies, cache or service workers leak between runs.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

/** The Chromium binary: `$MODELGATE_CHROMIUM`, else Debian's package. */
export const CHROMIUM_PATH = process.env.MODELGATE_CHROMIUM ?? "/usr/bin/chromium";

/** True when the binary is there. */
export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

/**
 * Whether a suite may skip for a missing Chromium: only off CI. On CI (`CI=true`) a missing browser is a
 * broken runner image, and the suite fails with {@link missingChromiumMessage} instead.
 */
export function maySkipWithoutChromium(): boolean {
  return !chromiumAvailable() && process.env.CI !== "true";
}

export const missingChromiumMessage = `Chromium not found at ${CHROMIUM_PATH} (set MODELGATE_CHROMIUM or apt-get install chromium); browser suites cannot run`;

/** Launches headless Chromium; throws {@link missingChromiumMessage} when the binary is missing. */
export async function launchChromium(): Promise<Browser> {
  if (!chromiumAvailable()) throw new Error(missingChromiumMessage);
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
