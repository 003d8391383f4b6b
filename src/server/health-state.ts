/**
 * Serving status per service name for the gRPC health protocol. The server sets everything to SERVING
 * once config is loaded and the engine is ready, and to NOT_SERVING when it starts draining; `Watch`
 * streams follow every change. Kept free of generated types so main and tests can drive it.
 */

export type ServingStatus = "SERVING" | "NOT_SERVING";

/**
 * NOT_SERVING while the configured Redis does not answer and this replica runs on its own memory (it
 * still serves: the whole server and the GatewayService stay SERVING).
 */
export const sharedStateHealthName = "modelgate.v1.SharedState";

/** The services the gateway reports: "" is the whole server. */
export const healthServiceNames: readonly string[] = ["", "modelgate.v1.GatewayService", sharedStateHealthName];

export interface HealthState {
  /** The status of a known service, or undefined for an unknown name. */
  get(service: string): ServingStatus | undefined;
  /** Sets one service's status (known names only). */
  set(service: string, status: ServingStatus): void;
  /** Sets every known service's status. */
  setAll(status: ServingStatus): void;
  /** All known services and their statuses. */
  list(): [string, ServingStatus][];
  /** Calls `listener` on every change of `service` until the returned function is called. */
  subscribe(service: string, listener: (status: ServingStatus | undefined) => void): () => void;
}

/** A health state where every known service starts NOT_SERVING. */
export function createHealthState(services: readonly string[] = healthServiceNames): HealthState {
  const statuses = new Map<string, ServingStatus>(services.map((name) => [name, "NOT_SERVING"]));
  const listeners = new Map<string, Set<(status: ServingStatus | undefined) => void>>();

  const set = (service: string, status: ServingStatus): void => {
    if (!statuses.has(service) || statuses.get(service) === status) return;
    statuses.set(service, status);
    for (const listener of listeners.get(service) ?? []) listener(status);
  };

  return {
    get: (service) => statuses.get(service),
    set,
    setAll: (status) => {
      for (const service of statuses.keys()) set(service, status);
    },
    list: () => [...statuses.entries()],
    subscribe: (service, listener) => {
      let set = listeners.get(service);
      if (!set) {
        set = new Set();
        listeners.set(service, set);
      }
      set.add(listener);
      return () => {
        set?.delete(listener);
      };
    },
  };
}
