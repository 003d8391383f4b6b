/**
 * How replicas tell each other about a reload. After a replica applies a new config it announces the
 * config text; every other replica validates and applies that text as if it had read it from its own
 * file (environment interpolation included), and does not announce it again. A Redis pub/sub channel
 * implements this between replicas; a single process uses the no-op below.
 */
export interface ConfigAnnouncer {
  /** Tells the other replicas about `text`, a config this replica has just applied. */
  announce(text: string): Promise<void>;
  /** Calls `handler` with the text of every config another replica announces (never this replica's own). */
  onAnnounce(handler: (text: string) => void): void;
}

/** The announcer of a gateway without replicas: announcing reaches no one, and nothing is ever heard. */
export function createLocalConfigAnnouncer(): ConfigAnnouncer {
  return {
    announce: () => Promise.resolve(),
    onAnnounce: () => undefined,
  };
}
