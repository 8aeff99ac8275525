import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startRelay, type RunningRelay } from '../../relay/index.js';
import { connectNet, netUrlProblem, relayUrlFor, type NetAdapter, type WebSocketLike } from './index.js';

/** The machine side of the cable: records frames the "card" got; onFrame is what the adapter sets. */
class Card {
  received: Uint8Array[] = [];
  onFrame?: (frame: Uint8Array) => void;
  receiveFrame(frame: Uint8Array): boolean {
    this.received.push(frame.slice());
    return true;
  }
}

const opened: { relays: RunningRelay[]; adapters: NetAdapter[] } = { relays: [], adapters: [] };
afterEach(async () => {
  for (const a of opened.adapters.splice(0)) a.close();
  for (const r of opened.relays.splice(0)) await r.close();
});

async function relayOn(port = 0): Promise<RunningRelay> {
  const relay = await startRelay({ port, host: '127.0.0.1', staticDir: '/nonexistent-co86-static', log: () => {}, router: false });
  opened.relays.push(relay);
  return relay;
}

function plug(card: Card, url: string, minDelayMs = 20): NetAdapter {
  const adapter = connectNet(card, url, { createSocket: (u) => new WebSocket(u) as unknown as WebSocketLike, minDelayMs, maxDelayMs: 200 });
  opened.adapters.push(adapter);
  return adapter;
}

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function ethernet(source: number, length = 60): Uint8Array {
  const f = new Uint8Array(length).fill(0xff, 0, 6); // broadcast
  f.set([0x02, 0, 0, 0, 0, source], 6);
  f[12] = 0x08;
  f[14] = source;
  return f;
}

describe('NetAdapter with the real relay', () => {
  it('carries frames between cards of one room and not into another room', async () => {
    const relay = await relayOn();
    const base = relay.url.replace(/^http/, 'ws');
    const [a, b, c] = [new Card(), new Card(), new Card()];
    const adapters = [plug(a, `${base}/net/lan`), plug(b, `${base}/net/lan`), plug(c, `${base}/net/other`)];
    await Promise.all(adapters.map((x) => x.whenOpen()));
    a.onFrame!(ethernet(1));
    await until(() => b.received.length === 1, 'the frame in room lan');
    expect(b.received[0]).toEqual(ethernet(1));
    b.onFrame!(ethernet(2, 100));
    await until(() => a.received.length === 1, 'the reply');
    expect(a.received[0]).toEqual(ethernet(2, 100));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(c.received).toHaveLength(0);
    expect(a.received).toHaveLength(1); // never an echo to the sender
    expect(adapters[0].counters).toMatchObject({ framesOut: 1, framesIn: 1, bytesOut: 60, bytesIn: 100, framesDropped: 0 });
  });

  it('drops frames while unplugged, and reconnects with backoff when the relay comes back', async () => {
    const first = await relayOn();
    const port = first.port;
    const url = `ws://127.0.0.1:${port}/net/lan`;
    const [a, b] = [new Card(), new Card()];
    const adapterA = plug(a, url);
    const adapterB = plug(b, url);
    await Promise.all([adapterA.whenOpen(), adapterB.whenOpen()]);
    await first.close();
    opened.relays.splice(opened.relays.indexOf(first), 1);
    await until(() => adapterA.status !== 'open', 'the disconnect');
    a.onFrame!(ethernet(1));
    expect(adapterA.counters.framesDropped).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 100)); // a few failed attempts
    await relayOn(port);
    await Promise.all([adapterA.whenOpen(), adapterB.whenOpen()]);
    expect(adapterA.counters.reconnects).toBe(1);
    expect(adapterA.status).toBe('open');
    a.onFrame!(ethernet(3));
    await until(() => b.received.length === 1, 'a frame after the reconnect');
    expect(b.received[0][14]).toBe(3);
  });

  it('rejects URLs that are not ws://HOST/net/ROOM', () => {
    expect(netUrlProblem('ws://localhost:8086/net/lan')).toBeUndefined();
    expect(netUrlProblem('http://localhost:8086/net/lan')).toMatch(/ws:\/\//);
    expect(netUrlProblem('ws://localhost:8086/lan')).toMatch(/\/net\/ROOM/);
    expect(netUrlProblem('not a url')).toMatch(/not a URL/);
    expect(() => connectNet(new Card(), 'ws://x/y')).toThrow(/\/net\/ROOM/);
    expect(relayUrlFor({ protocol: 'https:', host: 'co86.example:443' }, 'my room')).toBe('wss://co86.example:443/net/my%20room');
  });
});
