/**
 * The browser's network cable: the emulator Worker connects the machine's NE2000 to a relay room with the
 * page's (or Worker's) WebSocket, reconnecting with backoff. The counters feed the status bar.
 */
import { NetAdapter, type NetAdapterOptions, type WebSocketLike } from './adapter.js';

export { NetAdapter, netUrlProblem, type NetAdapterOptions, type NetCounters, type NetStatus, type WebSocketLike } from './adapter.js';

/** What connectNet needs from a machine: frames out (onFrame) and frames in (receiveFrame). */
export interface NetMachine {
  onFrame?: (frame: Uint8Array) => void;
  receiveFrame(frame: Uint8Array): boolean;
}

/**
 * Plugs `machine` into the relay room at `url` (ws://HOST:PORT/net/ROOM) using `createSocket` (default: the
 * global WebSocket). Returns the adapter: its `counters` and `status` for display, `close()` to unplug.
 */
export function connectNet(
  machine: NetMachine,
  url: string,
  options: Partial<Omit<NetAdapterOptions, 'url' | 'onFrame'>> = {},
): NetAdapter {
  const createSocket = options.createSocket ?? ((u: string) => new WebSocket(u) as unknown as WebSocketLike);
  const adapter = new NetAdapter({ ...options, url, createSocket, onFrame: (frame) => machine.receiveFrame(frame) });
  machine.onFrame = (frame) => adapter.send(frame);
  return adapter;
}

/** A relay URL for a room on the page's own server (the relay serves the app): ws(s)://host/net/ROOM. */
export function relayUrlFor(location: { protocol: string; host: string }, room: string): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/net/${encodeURIComponent(room)}`;
}
