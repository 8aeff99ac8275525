/**
 * startRelay: one HTTP server carrying the /net switch rooms, /signal, /stats, /healthz and the static
 * app. Rooms come into being with their first client and go with their last (with their router's
 * leases; clients that come back get their address again through DHCP's init-reboot/renew). Every
 * event handler is guarded: a bug or a hostile input is logged, never an uncaught exception.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import {
  DEFAULT_RELAY_PORT,
  frameLengthProblem,
  isValidRoomName,
  NET_PATH_PREFIX,
  SIGNAL_PATH,
  type DropReason,
  type RelayStats,
} from './protocol/index.js';
import { RelayCounters, type Log } from './counters.js';
import { createHttpHandler, defaultStaticDir } from './http.js';
import { PortRateLimiter, resolveLimits, type RelayLimits } from './limits.js';
import { resolveRouterConfig, RoomRouter, type ResolvedRouterConfig, type RouterConfig } from './router.js';
import { SignalHub, type SignalClient, type SignalPeer } from './signalling.js';
import { LearningSwitch, SwitchPort, type FrameSink } from './switch.js';

export interface RelayOptions {
  /** TCP port; 0 picks a free one (tests). Default 8086. */
  port?: number;
  /** Address to listen on. Default 127.0.0.1 (pass 0.0.0.0 to serve other machines). */
  host?: string;
  /** The built web app. Default: dist/ beside relay/ if it exists. */
  staticDir?: string;
  limits?: Partial<RelayLimits>;
  /** The per-room router's settings, or false for a plain switch. */
  router?: Partial<RouterConfig> | false;
  /** Where log lines go. Default: stderr with a timestamp. */
  log?: (line: string) => void;
}

export interface RunningRelay {
  /** http://HOST:PORT — the app; ws://HOST:PORT/net/<room> and ws://HOST:PORT/signal beside it. */
  url: string;
  port: number;
  close(): Promise<void>;
  stats(): RelayStats;
}

const SWEEP_INTERVAL_MS = 10_000;
const CLOSE_TRY_AGAIN_LATER = 1013;

interface Room {
  readonly name: string;
  readonly fabric: LearningSwitch;
  readonly router: RoomRouter | null;
  readonly clients: Set<NetClient>;
}

/** A /net WebSocket as a switch port's sink. */
class NetClient implements FrameSink {
  alive = true;
  readonly port: SwitchPort;

  constructor(
    readonly ws: WebSocket,
    readonly room: Room,
    id: number,
    label: string,
    limiter: PortRateLimiter,
    private readonly limits: RelayLimits,
    private readonly counters: RelayCounters,
  ) {
    this.port = new SwitchPort(id, label, this, limiter);
  }

  deliver(frame: Uint8Array): void {
    const ws = this.ws;
    if (ws.readyState !== WebSocket.OPEN) return this.counters.drop('portClosed', this.port.label);
    // Backpressure: a receiver that does not keep up loses frames (as a congested switch port would)
    // instead of growing the relay's memory.
    if (ws.bufferedAmount + frame.length > this.limits.maxSendQueueBytes) return this.counters.drop('queueFull', this.port.label);
    ws.send(frame, SEND_BINARY);
    this.counters.framesOut++;
    this.counters.bytesOut += frame.length;
  }
}

const SEND_BINARY = { binary: true, compress: false } as const;
const SEND_TEXT = { binary: false, compress: false } as const;

class SignalConnection implements SignalPeer {
  alive = true;
  client!: SignalClient;

  constructor(
    readonly ws: WebSocket,
    readonly label: string,
  ) {}

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  send(text: string): void {
    this.ws.send(text, SEND_TEXT);
  }
}

class Relay {
  readonly counters: RelayCounters;
  private readonly rooms = new Map<string, Room>();
  private readonly netClients = new Set<NetClient>();
  private readonly signalConnections = new Set<SignalConnection>();
  private readonly hub: SignalHub;
  private readonly netServer: WebSocketServer;
  private readonly signalServer: WebSocketServer;
  private readonly startedAt = performance.now();
  private nextPortId = 1;

  constructor(
    private readonly limits: RelayLimits,
    private readonly routerConfig: ResolvedRouterConfig | null,
    readonly log: Log,
  ) {
    this.counters = new RelayCounters(log, now);
    this.hub = new SignalHub(limits, this.counters, now);
    const wsOptions = { noServer: true, maxPayload: limits.wsMaxPayloadBytes, perMessageDeflate: false, clientTracking: false };
    this.netServer = new WebSocketServer(wsOptions);
    this.signalServer = new WebSocketServer(wsOptions);
  }

  stats(): RelayStats {
    let macEntries = 0;
    let leases = 0;
    for (const room of this.rooms.values()) {
      macEntries += room.fabric.macCount;
      leases += room.router?.leaseCount() ?? 0;
    }
    return this.counters.snapshot({
      uptimeSeconds: Math.round((performance.now() - this.startedAt) / 1000),
      rooms: this.rooms.size,
      clients: this.netClients.size,
      signalClients: this.signalConnections.size,
      macEntries,
      leases,
      topics: this.hub.topicCount,
    });
  }

  /** Routes a WebSocket upgrade by path, refusing it with an HTTP status when a check or cap says no. */
  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    let pathname: string;
    try {
      pathname = new URL(request.url ?? '/', 'http://relay.invalid').pathname;
    } catch {
      return this.refuse(socket, 400, 'badPath', String(request.url));
    }
    const who = remoteAddress(request);
    if (pathname.startsWith(NET_PATH_PREFIX)) {
      const name = pathname.slice(NET_PATH_PREFIX.length);
      if (!isValidRoomName(name)) return this.refuse(socket, 400, 'badRoom', `${who} asked for ${JSON.stringify(name.slice(0, 80))}`);
      const refusal = this.netRefusal(name);
      if (refusal) return this.refuse(socket, 503, refusal, `${who} for room ${name}`);
      this.netServer.handleUpgrade(request, socket, head, (ws) => guard(this.log, () => this.acceptNet(ws, name, who)));
    } else if (pathname === SIGNAL_PATH) {
      if (this.signalConnections.size >= this.limits.maxSignalClients) return this.refuse(socket, 503, 'tooManySignalClients', who);
      this.signalServer.handleUpgrade(request, socket, head, (ws) => guard(this.log, () => this.acceptSignal(ws, who)));
    } else {
      this.refuse(socket, 404, 'badPath', `${who} asked for ${pathname.slice(0, 80)}`);
    }
  }

  /** Pings every client; closes those that did not answer the previous ping. */
  heartbeat(): void {
    const check = (peer: { alive: boolean; ws: WebSocket }, label: string): void => {
      if (!peer.alive) {
        this.counters.drop('pingTimeout', label);
        peer.ws.terminate();
        return;
      }
      peer.alive = false;
      peer.ws.ping();
    };
    for (const client of this.netClients) check(client, client.port.label);
    for (const connection of this.signalConnections) check(connection, connection.label);
  }

  sweep(): void {
    const time = now();
    for (const room of this.rooms.values()) {
      room.fabric.sweep(time);
      room.router?.sweep(time);
    }
  }

  async close(): Promise<void> {
    for (const client of this.netClients) client.ws.terminate();
    for (const connection of this.signalConnections) connection.ws.terminate();
    this.netServer.close();
    this.signalServer.close();
  }

  private netRefusal(name: string): DropReason | null {
    const room = this.rooms.get(name);
    if (room === undefined) return this.rooms.size >= this.limits.maxRooms ? 'tooManyRooms' : null;
    return room.clients.size >= this.limits.maxClientsPerRoom ? 'roomFull' : null;
  }

  private refuse(socket: Duplex, status: number, reason: DropReason, detail: string): void {
    this.counters.drop(reason, detail);
    const text = { 400: 'Bad Request', 404: 'Not Found', 503: 'Service Unavailable' }[status] ?? 'Error';
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () => socket.destroy());
  }

  private acceptNet(ws: WebSocket, name: string, who: string): void {
    // Re-checked: another upgrade may have filled the room while this one completed.
    const refusal = this.netRefusal(name);
    if (refusal) {
      this.counters.drop(refusal, `${who} for room ${name}`);
      ws.close(CLOSE_TRY_AGAIN_LATER, refusal);
      return;
    }
    const room = this.rooms.get(name) ?? this.createRoom(name);
    const id = this.nextPortId++;
    const client = new NetClient(ws, room, id, `${name}/${id} (${who})`, new PortRateLimiter(this.limits, now()), this.limits, this.counters);
    room.clients.add(client);
    room.fabric.attach(client.port);
    this.netClients.add(client);
    this.counters.connectionsAccepted++;
    this.log(`net join ${client.port.label}: ${room.clients.size} in room`);

    ws.binaryType = 'nodebuffer';
    ws.on('message', (data: RawData, isBinary: boolean) => {
      // The hot path: a try/catch rather than guard(), to allocate no closure per frame.
      try {
        this.netMessage(client, data, isBinary);
      } catch (error) {
        internalError(this.log, error);
      }
    });
    ws.on('pong', () => (client.alive = true));
    ws.on('error', (error: Error & { code?: string }) => guard(this.log, () => this.socketError(client.port.label, error)));
    ws.on('close', () => guard(this.log, () => this.leaveNet(client)));
  }

  private netMessage(client: NetClient, data: RawData, isBinary: boolean): void {
    const frame = asBytes(data);
    this.counters.framesIn++;
    this.counters.bytesIn += frame.length;
    client.alive = true;
    if (!isBinary) return this.counters.drop('textMessage', client.port.label);
    const problem = frameLengthProblem(frame.length);
    if (problem) return this.counters.drop(problem, `${client.port.label} sent ${frame.length} bytes`);
    client.room.fabric.input(client.port, frame, now());
  }

  private leaveNet(client: NetClient): void {
    if (!this.netClients.delete(client)) return;
    const room = client.room;
    room.clients.delete(client);
    room.fabric.detach(client.port);
    room.router?.portDetached(client.port.id);
    this.log(`net leave ${client.port.label}: ${room.clients.size} in room`);
    if (room.clients.size === 0) this.rooms.delete(room.name);
  }

  private createRoom(name: string): Room {
    const fabric = new LearningSwitch(name, this.limits, this.counters);
    const router = this.routerConfig === null ? null : new RoomRouter(fabric, this.routerConfig, this.counters, now, this.nextPortId++, this.limits.maxMacsPerPort);
    const room: Room = { name, fabric, router, clients: new Set() };
    this.rooms.set(name, room);
    return room;
  }

  private acceptSignal(ws: WebSocket, who: string): void {
    if (this.signalConnections.size >= this.limits.maxSignalClients) {
      this.counters.drop('tooManySignalClients', who);
      ws.close(CLOSE_TRY_AGAIN_LATER, 'tooManySignalClients');
      return;
    }
    const connection = new SignalConnection(ws, `signal/${this.nextPortId++} (${who})`);
    connection.client = this.hub.connect(connection);
    this.signalConnections.add(connection);
    this.counters.connectionsAccepted++;
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data: RawData) =>
      guard(this.log, () => {
        connection.alive = true;
        const bytes = asBytes(data);
        this.hub.receive(connection.client, bytes.length, () => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'));
      }),
    );
    ws.on('pong', () => (connection.alive = true));
    ws.on('error', (error: Error & { code?: string }) => guard(this.log, () => this.socketError(connection.label, error)));
    ws.on('close', () =>
      guard(this.log, () => {
        if (!this.signalConnections.delete(connection)) return;
        this.hub.disconnect(connection.client);
      }),
    );
  }

  private socketError(label: string, error: Error & { code?: string }): void {
    if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.counters.drop('payloadTooLarge', label);
    else this.log(`socket error ${label}: ${error.code ?? ''} ${error.message}`);
  }
}

function now(): number {
  return performance.now();
}

/** Runs an event handler; an exception is logged instead of taking the process down. */
function guard(log: Log, body: () => void): void {
  try {
    body();
  } catch (error) {
    internalError(log, error);
  }
}

function internalError(log: Log, error: unknown): void {
  log(`internal error (ignored): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
}

function asBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}

function remoteAddress(request: IncomingMessage): string {
  return request.socket.remoteAddress ?? 'unknown';
}

function defaultLog(line: string): void {
  process.stderr.write(`${new Date().toISOString()} relay: ${line}\n`);
}

/** The URL clients should use: a wildcard listen address is reached through loopback. */
function publicUrl(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`;
}

/** Starts a relay; resolves once it listens. Throws (rejects) on bad options or a port in use. */
export async function startRelay(options: RelayOptions = {}): Promise<RunningRelay> {
  const limits = resolveLimits(options.limits);
  const routerConfig = options.router === false ? null : resolveRouterConfig(options.router ?? {});
  const log = options.log ?? defaultLog;
  const relay = new Relay(limits, routerConfig, log);
  const staticDir = options.staticDir ?? defaultStaticDir();
  const server = createServer(createHttpHandler({ staticDir, stats: () => relay.stats(), log }));
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => guard(log, () => relay.upgrade(request, socket, head)));
  server.on('clientError', (_error, socket) => socket.destroy());

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_RELAY_PORT, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => log(`server error: ${error.message}`));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : (options.port ?? DEFAULT_RELAY_PORT);
  const heartbeat = setInterval(() => guard(log, () => relay.heartbeat()), limits.pingIntervalSeconds * 1000);
  const sweeper = setInterval(() => guard(log, () => relay.sweep()), Math.min(SWEEP_INTERVAL_MS, limits.macAgeingSeconds * 1000));
  heartbeat.unref();
  sweeper.unref();
  const url = publicUrl(host, port);
  log(`listening on ${url} (static: ${staticDir ?? 'none'}, router: ${routerConfig ? 'on' : 'off'})`);

  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    stats: () => relay.stats(),
    close: () => {
      closing ??= (async () => {
        clearInterval(heartbeat);
        clearInterval(sweeper);
        await relay.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        log('closed');
      })();
      return closing;
    },
  };
}
