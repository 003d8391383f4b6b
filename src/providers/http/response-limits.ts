import { ProviderError, type ProviderSettings, type ResponseLimits } from "../spec.js";

/**
 * The default size limits: far above any real answer (a long completion is tens of KiB, an event a few
 * hundred bytes), yet low enough that one misbehaving upstream cannot take the gateway's memory.
 */
export const defaultResponseLimits: Readonly<ResponseLimits> = Object.freeze({
  maxResponseBytes: 32 * 1024 * 1024,
  maxEventBytes: 1024 * 1024,
});

/** How much of an error response is read: enough for any vendor's error body; the status alone classifies it. */
export const maxErrorBodyBytes = 64 * 1024;

/** The limits a provider's adapter applies: its configured ones, or the defaults. */
export function responseLimitsOf(settings: ProviderSettings): ResponseLimits {
  return settings.limits ?? defaultResponseLimits;
}

/**
 * The error for a response or stream event larger than its limit: `malformed-response`, so the attempt
 * fails as the vendor's fault and routing falls back. The message names the setting to raise.
 */
export function responseTooLarge(setting: keyof ResponseLimits, limit: number): ProviderError {
  const what = setting === "maxResponseBytes" ? "response" : "stream event";
  return new ProviderError("malformed-response", `The provider's ${what} exceeded ${limit} bytes (${setting}).`);
}
