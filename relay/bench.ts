/**
 * benchRelay: how fast one room forwards between two clients on loopback. A relay on an ephemeral port
 * (rate limits off, router off) and two `ws` clients in one room, all in this process (so the numbers
 * include the clients' own cost, as on a single-core host). Phases, each `phaseMillis` long:
 *   - 1514-byte frames A → B with a window of frames in flight: megabytesPerSecond (10^6 bytes/s),
 *   - 64-byte frames the same way: framesPerSecond,
 *   - one 64-byte frame at a time, A → B, send-to-receive time: latency median and 95th percentile.
 */
import { WebSocket } from 'ws';
import { relayNetUrl, writeMacKey, type MacKey } from './protocol/index.js';
import { startRelay } from './server.js';

export interface RelayBenchResult {
  framesPerSecond: number;
  megabytesPerSecond: number;
  latencyMicrosMedian: number;
  latencyMicrosP95: number;
}

export interface RelayBenchOptions {
  /** Length of each throughput phase and upper bound of the latency phase. Default 1500 ms. */
  phaseMillis?: number;
  /** Frames in flight during throughput phases. Default 256. */
  window?: number;
}

const MAC_A: MacKey = 0x02_00_00_be_0c_0a;
const MAC_B: MacKey = 0x02_00_00_be_0c_0b;
/** IEEE 802 "local experimental" EtherType. */
const ETHERTYPE_EXPERIMENTAL = 0x88b5;
const LATENCY_SAMPLES = 5000;

function frame(destination: MacKey, source: MacKey, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  writeMacKey(destination, bytes, 0);
  writeMacKey(source, bytes, 6);
  bytes.writeUInt16BE(ETHERTYPE_EXPERIMENTAL, 12);
  return bytes;
}

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.binaryType = 'nodebuffer';
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function nextMessage(ws: WebSocket): Promise<Buffer> {
  return new Promise((resolve) => ws.once('message', (data: Buffer) => resolve(data)));
}

/** Sends `length`-byte frames A → B for `millis`, keeping `window` in flight; returns frames and bytes/s at B. */
async function throughput(a: WebSocket, b: WebSocket, length: number, millis: number, window: number): Promise<{ framesPerSecond: number; bytesPerSecond: number }> {
  const data = frame(MAC_B, MAC_A, length);
  let sent = 0;
  let received = 0;
  let sending = true;
  const started = performance.now();
  const pump = (): void => {
    while (sending && sent - received < window) {
      a.send(data);
      sent++;
    }
  };
  const done = new Promise<number>((resolve) => {
    const onMessage = (): void => {
      received++;
      if (sending && performance.now() - started >= millis) sending = false;
      if (sending) {
        if (sent - received <= window / 2) pump();
      } else if (received === sent) {
        b.off('message', onMessage);
        resolve(performance.now());
      }
    };
    b.on('message', onMessage);
  });
  pump();
  const timeout = new Promise<number>((resolve) => setTimeout(() => resolve(performance.now()), millis * 3 + 2000).unref());
  const ended = await Promise.race([done, timeout]);
  const seconds = (ended - started) / 1000;
  return { framesPerSecond: received / seconds, bytesPerSecond: (received * length) / seconds };
}

/** One frame at a time: microseconds from A's send to B's receive. */
async function latency(a: WebSocket, b: WebSocket, millis: number): Promise<number[]> {
  const data = frame(MAC_B, MAC_A, 64);
  const samples: number[] = [];
  const deadline = performance.now() + millis;
  while (samples.length < LATENCY_SAMPLES && performance.now() < deadline) {
    const arrived = nextMessage(b);
    const sentAt = process.hrtime.bigint();
    a.send(data);
    await arrived;
    samples.push(Number(process.hrtime.bigint() - sentAt) / 1000);
  }
  return samples.sort((x, y) => x - y);
}

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))];
}

export async function benchRelay(options: RelayBenchOptions = {}): Promise<RelayBenchResult> {
  const millis = options.phaseMillis ?? 1500;
  const window = options.window ?? 256;
  const relay = await startRelay({
    port: 0,
    host: '127.0.0.1',
    router: false,
    log: () => {},
    limits: { portFramesPerSecond: Infinity, portBytesPerSecond: Infinity, maxSendQueueBytes: 16 * 1024 * 1024 },
  });
  const url = relayNetUrl(relay.url, 'bench');
  const a = await open(url);
  const b = await open(url);
  try {
    // Each learns the other's MAC: a broadcast from B that A receives, then one from A that B receives.
    let learned = nextMessage(a);
    b.send(frame(0xffff_ffff_ffff, MAC_B, 60));
    await learned;
    learned = nextMessage(b);
    a.send(frame(0xffff_ffff_ffff, MAC_A, 60));
    await learned;

    const large = await throughput(a, b, 1514, millis, window);
    const small = await throughput(a, b, 64, millis, window);
    const samples = await latency(a, b, millis);
    return {
      framesPerSecond: Math.round(small.framesPerSecond),
      megabytesPerSecond: Math.round(large.bytesPerSecond / 1e4) / 100,
      latencyMicrosMedian: Math.round(percentile(samples, 0.5)),
      latencyMicrosP95: Math.round(percentile(samples, 0.95)),
    };
  } finally {
    a.terminate();
    b.terminate();
    await relay.close();
  }
}
