import { describe, expect, it } from "vitest";
import { ProviderError } from "../spec.js";
import { isLocalSocketExhaustion, toProviderError } from "./network-error.js";

function withCode(code: string): Error {
  return Object.assign(new Error(`connect ${code}`), { code });
}

describe("isLocalSocketExhaustion", () => {
  it("is true for the host's own lack of descriptors, buffers or local ports", () => {
    for (const code of ["EMFILE", "ENFILE", "ENOBUFS", "EADDRNOTAVAIL"]) expect(isLocalSocketExhaustion(withCode(code))).toBe(true);
  });

  it("reads the code of a wrapped cause", () => {
    expect(isLocalSocketExhaustion(new Error("fetch failed", { cause: withCode("EMFILE") }))).toBe(true);
  });

  it("is false for what the vendor's side did", () => {
    for (const code of ["ECONNREFUSED", "ECONNRESET", "UND_ERR_CONNECT_TIMEOUT"]) expect(isLocalSocketExhaustion(withCode(code))).toBe(false);
    expect(isLocalSocketExhaustion(new Error("no code"))).toBe(false);
  });
});

describe("toProviderError", () => {
  it("reports a refused connection as unavailable and a connect timeout as timeout", () => {
    const caller = new AbortController().signal;
    expect(toProviderError(withCode("ECONNREFUSED"), { caller })).toMatchObject({ kind: "unavailable" });
    expect(toProviderError(withCode("UND_ERR_CONNECT_TIMEOUT"), { caller })).toMatchObject({ kind: "timeout" });
    expect(toProviderError(withCode("EMFILE"), { caller })).toBeInstanceOf(ProviderError);
  });
});
