/** Where the deadline interceptor leaves the call's RequestScope for the service and the other interceptors. */
import { createContextKey } from "@connectrpc/connect";
import type { RequestScope } from "../../gateway/request-scope.js";

export const requestScopeKey = createContextKey<RequestScope | undefined>(undefined, { description: "modelgate request scope" });
