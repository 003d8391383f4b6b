// Module resolution hooks (node:module register): notes each @opentelemetry package a process imports.
import { appendFileSync } from "node:fs";

let file;

export function initialize(data) {
  file = data?.file;
}

export async function resolve(specifier, context, nextResolve) {
  if (file !== undefined && specifier.startsWith("@opentelemetry/")) appendFileSync(file, `${specifier}\n`);
  return nextResolve(specifier, context);
}
