/**
 * `GET /v1/models` and `GET /v1/models/{model}` in OpenAI's shapes: every name a caller may put in
 * `model`, aliases first, then deployments (a deployment name is callable too). `created` is 0: the
 * gateway does not know when a vendor made a model, and OpenAI's type has no way to say so.
 */
import type { ModelCatalog } from "../../gateway/types.js";

export interface OpenAIModel {
  id: string;
  object: "model";
  created: number;
  /** "modelgate" for an alias, the provider's name for a deployment. */
  owned_by: string;
}

export function toOpenAIModels(catalog: ModelCatalog): { object: "list"; data: OpenAIModel[] } {
  const byName = (left: { name: string }, right: { name: string }): number => left.name.localeCompare(right.name);
  const aliases = [...catalog.aliases].sort(byName).map((alias): OpenAIModel => ({ id: alias.name, object: "model", created: 0, owned_by: "modelgate" }));
  const deployments = [...catalog.deployments]
    .sort(byName)
    .map((deployment): OpenAIModel => ({ id: deployment.name, object: "model", created: 0, owned_by: deployment.provider }));
  return { object: "list", data: [...aliases, ...deployments] };
}
