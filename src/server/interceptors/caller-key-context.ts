/** Where the caller auth interceptor leaves the authenticated caller for the limits interceptor. */
import { createContextKey } from "@connectrpc/connect";
import type { AuthenticatedCaller } from "../../callers/caller-authenticator.js";

export const authenticatedCallerKey = createContextKey<AuthenticatedCaller | undefined>(undefined, { description: "modelgate caller" });
