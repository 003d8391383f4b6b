import { describe, expect, it } from "vitest";
import { certificateMatches, type ClientCertificate } from "./client-certificate-caller.js";

const billing: ClientCertificate = {
  subject: new Map([
    ["O", ["Acme"]],
    ["OU", ["payments", "ledger"]],
    ["CN", ["billing"]],
  ]),
  subjectAltNames: ["DNS:billing.internal", "URI:spiffe://acme/billing"],
};

describe("certificateMatches", () => {
  it("matches a subject when every listed attribute is equal", () => {
    expect(certificateMatches(billing, { subject: "CN=billing,O=Acme", keyId: "billing" })).toBe(true);
    expect(certificateMatches(billing, { subject: "CN=billing", keyId: "billing" })).toBe(true);
  });

  it("matches one value of an attribute that repeats", () => {
    expect(certificateMatches(billing, { subject: "OU=ledger,CN=billing", keyId: "billing" })).toBe(true);
  });

  it("does not match when one listed attribute differs or is missing", () => {
    expect(certificateMatches(billing, { subject: "CN=billing,O=Other", keyId: "billing" })).toBe(false);
    expect(certificateMatches(billing, { subject: "CN=billing,L=Berlin", keyId: "billing" })).toBe(false);
  });

  it("matches a SAN only exactly, type included", () => {
    expect(certificateMatches(billing, { san: "URI:spiffe://acme/billing", keyId: "billing" })).toBe(true);
    expect(certificateMatches(billing, { san: "DNS:spiffe://acme/billing", keyId: "billing" })).toBe(false);
    expect(certificateMatches(billing, { san: "URI:spiffe://acme/bill", keyId: "billing" })).toBe(false);
  });
});
