/**
 * grpc.health.v1.Health: Check, Watch and List over a `HealthState`, so load balancers and
 * `grpc_health_probe` see NOT_SERVING while the gateway drains. Watch streams every status change until
 * the client cancels (or the server shuts down).
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  Health,
  HealthCheckResponse_ServingStatus as Status,
  HealthCheckResponseSchema,
  type HealthCheckResponse,
} from "../../gen/health/v1/health_pb.js";
import type { HealthState, ServingStatus } from "./health-state.js";

function toStatus(status: ServingStatus | undefined): Status {
  if (status === undefined) return Status.SERVICE_UNKNOWN;
  return status === "SERVING" ? Status.SERVING : Status.NOT_SERVING;
}

function response(status: Status): HealthCheckResponse {
  return create(HealthCheckResponseSchema, { status });
}

/** The Health service implementation. */
export function createHealthServiceImpl(state: HealthState): ServiceImpl<typeof Health> {
  return {
    check(request) {
      const status = state.get(request.service);
      if (status === undefined) throw new ConnectError(`unknown service "${request.service}"`, Code.NotFound);
      return response(toStatus(status));
    },
    async *watch(request, context) {
      const pending: Status[] = [toStatus(state.get(request.service))];
      let wake: (() => void) | undefined;
      const unsubscribe = state.subscribe(request.service, (status) => {
        pending.push(toStatus(status));
        wake?.();
      });
      const onAbort = (): void => wake?.();
      context.signal.addEventListener("abort", onAbort);
      try {
        let last: Status | undefined;
        while (!context.signal.aborted) {
          const next = pending.shift();
          if (next === undefined) {
            await new Promise<void>((resolve) => {
              wake = resolve;
            });
            wake = undefined;
            continue;
          }
          if (next === last) continue;
          last = next;
          yield response(next);
        }
      } finally {
        unsubscribe();
        context.signal.removeEventListener("abort", onAbort);
      }
    },
    list() {
      return {
        statuses: Object.fromEntries(state.list().map(([name, status]) => [name, response(toStatus(status))])),
      };
    },
  };
}
