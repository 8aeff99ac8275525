/**
 * The CLI's network cable (`co86 boot --net ws://HOST:PORT/net/ROOM`): the machine's NE2000 frames over a
 * WebSocket from the `ws` package, with the reconnecting adapter the browser uses (src/net/adapter.ts).
 */
import { WebSocket } from 'ws';
import { connectNet, type NetAdapter, type NetMachine, type WebSocketLike } from '../src/net/index.js';

export function connectNodeNet(machine: NetMachine, url: string, log?: (line: string) => void): NetAdapter {
  return connectNet(machine, url, {
    createSocket: (u) => new WebSocket(u) as unknown as WebSocketLike,
    log,
  });
}
