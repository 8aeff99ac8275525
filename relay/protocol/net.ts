/**
 * Addresses shared by the relay and its clients: HTTP paths, room names, and the built-in router's
 * default network. Pure: no Node or DOM APIs.
 */

/** `ws://HOST:PORT/net/<room>`: the virtual Ethernet switch (see ethernet.ts for the framing). */
export const NET_PATH_PREFIX = '/net/';
/** `ws://HOST:PORT/signal`: y-webrtc-compatible signalling (see signalling.ts). */
export const SIGNAL_PATH = '/signal';
/** `GET /stats`: JSON counters (see stats.ts). */
export const STATS_PATH = '/stats';
/** `GET /healthz`: 200 "ok" while the relay runs. */
export const HEALTH_PATH = '/healthz';

export const DEFAULT_RELAY_PORT = 8086;

export const ROOM_NAME_MAX_LENGTH = 64;
/** Letters, digits, '.', '_' and '-', starting with a letter or digit: safe in URLs, logs and file names, never "..". */
const ROOM_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function isValidRoomName(name: string): boolean {
  return name.length > 0 && name.length <= ROOM_NAME_MAX_LENGTH && ROOM_NAME.test(name);
}

/** Turns a relay's base URL (http(s)://host:port or ws(s)://host:port) into the WebSocket base. */
function webSocketBase(base: string): string {
  return base.replace(/^http(s?):/i, 'ws$1:').replace(/\/+$/, '');
}

/** The /net URL of a room on the relay at `base`. Throws on an invalid room name. */
export function relayNetUrl(base: string, room: string): string {
  if (!isValidRoomName(room)) throw new Error(`invalid room name: ${JSON.stringify(room)}`);
  return `${webSocketBase(base)}${NET_PATH_PREFIX}${room}`;
}

export function relaySignalUrl(base: string): string {
  return `${webSocketBase(base)}${SIGNAL_PATH}`;
}

/**
 * The built-in router's defaults, one per room: the slirp-style 10.0.2.0/24 network that QEMU users know,
 * with the gateway (also the DNS address handed out) at .2 and DHCP leases from .15 up.
 */
export const DEFAULT_GATEWAY_IP = '10.0.2.2';
export const DEFAULT_PREFIX_LENGTH = 24;
export const DEFAULT_POOL_START = '10.0.2.15';
export const DEFAULT_POOL_END = '10.0.2.254';
export const DEFAULT_LEASE_SECONDS = 3600;
/** Locally administered unicast MAC of the router ("c0 86"). */
export const DEFAULT_GATEWAY_MAC = '02:00:c0:86:00:02';
