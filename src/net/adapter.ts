/**
 * A network card's cable to the relay (docs/PROTOCOL.md): a WebSocket to `ws://HOST:PORT/net/ROOM` where one
 * binary message is one raw Ethernet frame (no header, no FCS). It reconnects with exponential backoff (and
 * jitter) whenever the socket closes, drops frames while there is no connection or while the socket's send
 * buffer is past a bound (Ethernet may lose frames; TCP in the guest retransmits), and counts everything for
 * the status bar.
 *
 * No DOM and no Node APIs: the socket comes from a factory, so the browser passes its WebSocket and the CLI
 * (cli/net.ts) the `ws` package's, which has the same shape.
 */

/** The part of the WebSocket API the adapter uses (the browser's and the `ws` package's both fit). */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
}

export type NetStatus = 'connecting' | 'open' | 'waiting' | 'closed';

export interface NetCounters {
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Frames the guest sent that never left: no connection, or the send buffer was full. */
  framesDropped: number;
  /** Messages from the relay that were not binary (ignored). */
  badMessages: number;
  /** Connections opened after the first one. */
  reconnects: number;
}

export interface NetAdapterOptions {
  /** ws://HOST:PORT/net/ROOM */
  url: string;
  createSocket: (url: string) => WebSocketLike;
  /** A frame from the relay for the card. */
  onFrame: (frame: Uint8Array) => void;
  onStatus?: (status: NetStatus) => void;
  log?: (line: string) => void;
  /** First reconnect delay (ms, default 250), doubling per failure up to maxDelayMs (default 10 000). */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Frames are dropped while the socket has more than this many bytes queued (default 1 MiB). */
  maxBufferedBytes?: number;
}

const OPEN = 1;

/** Checks a relay URL: a ws: or wss: URL whose path is /net/ROOM. Returns a message, or undefined if fine. */
export function netUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `'${url}' is not a URL (expected ws://HOST:PORT/net/ROOM)`;
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') return `'${url}' is not a ws:// or wss:// URL`;
  if (!/^\/net\/[^/]+$/.test(parsed.pathname)) return `'${url}' has no /net/ROOM path`;
  return undefined;
}

export class NetAdapter {
  readonly counters: NetCounters = { framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0, framesDropped: 0, badMessages: 0, reconnects: 0 };
  private socket: WebSocketLike | undefined;
  private statusValue: NetStatus = 'closed';
  private failures = 0;
  private opened = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private readonly minDelay: number;
  private readonly maxDelay: number;
  private readonly maxBuffered: number;
  private readonly openWaiters: (() => void)[] = [];

  constructor(private readonly options: NetAdapterOptions) {
    const problem = netUrlProblem(options.url);
    if (problem) throw new Error(problem);
    this.minDelay = options.minDelayMs ?? 250;
    this.maxDelay = options.maxDelayMs ?? 10_000;
    this.maxBuffered = options.maxBufferedBytes ?? 1 << 20;
    this.connect();
  }

  get status(): NetStatus {
    return this.statusValue;
  }

  /** Resolves when a connection is open (at once if one is). */
  whenOpen(): Promise<void> {
    if (this.statusValue === 'open') return Promise.resolve();
    return new Promise((resolve) => this.openWaiters.push(resolve));
  }

  /** A frame the guest transmitted: sent if the cable is connected and not backed up, else dropped. */
  send(frame: Uint8Array): void {
    const socket = this.socket;
    if (!socket || socket.readyState !== OPEN || socket.bufferedAmount > this.maxBuffered) {
      this.counters.framesDropped++;
      return;
    }
    socket.send(frame);
    this.counters.framesOut++;
    this.counters.bytesOut += frame.length;
  }

  /** Unplugs the cable for good. */
  close(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const socket = this.socket;
    this.socket = undefined;
    if (socket) {
      socket.onopen = socket.onclose = socket.onerror = socket.onmessage = null;
      socket.close();
    }
    this.setStatus('closed');
  }

  private setStatus(status: NetStatus): void {
    if (status === this.statusValue) return;
    this.statusValue = status;
    this.options.onStatus?.(status);
    if (status === 'open') for (const resolve of this.openWaiters.splice(0)) resolve();
  }

  private connect(): void {
    this.timer = undefined;
    if (this.stopped) return;
    this.setStatus('connecting');
    let socket: WebSocketLike;
    try {
      socket = this.options.createSocket(this.options.url);
    } catch (e) {
      this.options.log?.(`net: cannot connect to ${this.options.url}: ${(e as Error).message}`);
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.binaryType = 'arraybuffer';
    socket.onopen = () => {
      if (this.opened++ > 0) this.counters.reconnects++;
      this.failures = 0;
      this.options.log?.(`net: connected to ${this.options.url}`);
      this.setStatus('open');
    };
    socket.onmessage = (event) => this.receive(event.data);
    socket.onerror = () => {}; // a close event follows; that is where we reconnect
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      if (this.statusValue === 'open') this.options.log?.(`net: connection to ${this.options.url} closed; reconnecting`);
      this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const base = Math.min(this.maxDelay, this.minDelay * 2 ** Math.min(this.failures, 20));
    this.failures++;
    // Up to 25% jitter, so a room full of VMs does not reconnect in lockstep after a relay restart.
    const delay = base * (1 + Math.random() * 0.25);
    this.setStatus('waiting');
    this.timer = setTimeout(() => this.connect(), delay);
  }

  private receive(data: unknown): void {
    let frame: Uint8Array;
    if (data instanceof ArrayBuffer) frame = new Uint8Array(data);
    else if (ArrayBuffer.isView(data)) frame = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    else {
      this.counters.badMessages++;
      return;
    }
    this.counters.framesIn++;
    this.counters.bytesIn += frame.length;
    this.options.onFrame(frame);
  }
}
