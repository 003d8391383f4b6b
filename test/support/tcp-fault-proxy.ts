/**
 * A loopback TCP proxy whose faults can be switched while clients stay connected, for putting a real
 * server (Redis) behind a bad network: `pass`, `delay` (every reply delivered `ms` after the server sent
 * it, requests forwarded at once, order kept), `blackhole` (connections are accepted and read, nothing
 * is forwarded either way and nothing is answered: no TCP error to rely on) and `refuse` (the listener
 * is closed, so a new connection is refused, and open ones are reset: a server that stopped).
 *
 * Leaving `blackhole` closes the connections it swallowed bytes of: their byte streams have gaps, so a
 * client that kept them would pair later replies with the wrong commands (a partition that heals ends
 * such connections the same way, once TCP gives up on them). Leaving `delay` for `pass` delivers the
 * replies still held first, in order.
 */
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from "node:net";

export type TcpFault = { kind: "pass" } | { kind: "delay"; ms: number } | { kind: "blackhole" } | { kind: "refuse" };

export interface TcpFaultProxy {
  /** The proxy's port on 127.0.0.1 (kept across `refuse`). */
  readonly port: number;
  fault(): TcpFault;
  /** Switches the fault for open and new connections; resolves once it is in force. */
  setFault(fault: TcpFault): Promise<void>;
  /** Connections from clients open now. */
  openConnections(): number;
  /** Drops every open connection (a network that cut them), still accepting new ones. */
  cutAll(): void;
  close(): Promise<void>;
}

interface Held {
  at: number;
  chunk: Buffer;
}

/** One client connection and its upstream (absent while blackholed from the start). */
interface Link {
  client: Socket;
  upstream?: Socket;
  /** Replies waiting for their delivery time, oldest first. */
  held: Held[];
  drainTimer?: NodeJS.Timeout;
  /** Bytes were swallowed: the streams have gaps and must not carry on. */
  swallowed: boolean;
}

/** Starts a proxy on 127.0.0.1 (a free port) to `target`, with `initial` in force (default `pass`). */
export async function startTcpFaultProxy(target: { host?: string; port: number }, initial: TcpFault = { kind: "pass" }): Promise<TcpFaultProxy> {
  const host = target.host ?? "127.0.0.1";
  let fault: TcpFault = initial;
  const links = new Set<Link>();

  const end = (link: Link, reset = false): void => {
    clearTimeout(link.drainTimer);
    links.delete(link);
    if (reset) link.client.resetAndDestroy();
    else link.client.destroy();
    link.upstream?.destroy();
  };

  /** Writes every held reply that is due, in order, and waits for the next one. */
  const drain = (link: Link): void => {
    clearTimeout(link.drainTimer);
    link.drainTimer = undefined;
    if (fault.kind === "blackhole") {
      // Replies still held when the blackhole began are never answered either.
      link.swallowed ||= link.held.length > 0;
      link.held = [];
      return;
    }
    const now = Date.now();
    while (link.held.length > 0 && link.held[0].at <= now) {
      const { chunk } = link.held.shift() as Held;
      if (link.client.writable) link.client.write(chunk);
    }
    if (link.held.length > 0) link.drainTimer = setTimeout(() => drain(link), link.held[0].at - now);
  };

  const connectUpstream = (link: Link): void => {
    const upstream = createConnection({ host, port: target.port });
    link.upstream = upstream;
    upstream.on("data", (chunk: Buffer) => {
      if (fault.kind === "blackhole") {
        link.swallowed = true;
        return;
      }
      link.held.push({ at: Date.now() + (fault.kind === "delay" ? fault.ms : 0), chunk });
      drain(link);
    });
    upstream.on("close", () => end(link)).on("error", () => end(link));
  };

  const accept = (client: Socket): void => {
    const link: Link = { client, held: [], swallowed: false };
    links.add(link);
    client.on("data", (chunk: Buffer) => {
      if (fault.kind === "blackhole" || link.upstream === undefined) {
        link.swallowed = true;
        return;
      }
      link.upstream.write(chunk);
    });
    client.on("close", () => end(link)).on("error", () => end(link));
    if (fault.kind !== "blackhole") connectUpstream(link);
  };

  const server: Server = createServer(accept);
  const listen = (port: number): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
  await listen(0);
  const port = (server.address() as AddressInfo).port;
  if (fault.kind === "refuse") await new Promise((resolve) => server.close(resolve));

  return {
    port,
    fault: () => fault,
    async setFault(next) {
      const previous = fault;
      fault = next;
      if (next.kind === "refuse") {
        for (const link of [...links]) end(link, true);
        if (server.listening) await new Promise((resolve) => server.close(resolve));
        return;
      }
      if (next.kind === "blackhole") for (const link of links) drain(link);
      if (previous.kind === "refuse") await listen(port);
      if (previous.kind === "blackhole") {
        for (const link of [...links]) if (link.swallowed || link.upstream === undefined) end(link);
      }
      // Replies held by a delay are due sooner (or at once) under the new fault; order is kept.
      if (previous.kind === "delay") {
        const shortenBy = previous.ms - (next.kind === "delay" ? next.ms : 0);
        for (const link of links) {
          for (const held of link.held) held.at -= Math.max(0, shortenBy);
          drain(link);
        }
      }
    },
    openConnections: () => links.size,
    cutAll() {
      for (const link of [...links]) end(link);
    },
    async close() {
      for (const link of [...links]) end(link);
      if (server.listening) await new Promise((resolve) => server.close(resolve));
    },
  };
}
