import { ensureGuestImages } from '../images/guest.js';
import { startRelay } from '../relay/index.js';
import { NetGuest, tcpTransfer } from './guest-net.js';

const TIMEOUT_S = 1800;
const TRANSFER_BYTES = 1 << 20;
const TRANSFERS = 3;
/** CO86_TCP_CLOCK=deterministic measures with the tests' clock instead of the app's. */
const CLOCK = process.env.CO86_TCP_CLOCK === 'deterministic' ? 'deterministic' : 'realtime';

/**
 * Guest-to-guest TCP throughput: two Debian guests (CLI processes, real-time clock as in the app) on one room of an
 * in-process relay take DHCP leases, then busybox nc pipes 1 MiB of random data from A to B three times.
 * KiB/s is host wall-clock time from A's command to B's checksum of what arrived (which must match).
 * One run boots both guests (minutes); the three transfers' median is the figure.
 */
export async function benchGuestTcp(): Promise<Record<string, number>> {
  const images = await ensureGuestImages();
  const relay = await startRelay({ port: 0, host: '127.0.0.1', staticDir: '/nonexistent-co86-static', log: () => {} });
  const url = `${relay.url.replace(/^http/, 'ws')}/net/bench`;
  const a = new NetGuest('A', images, url, '52:54:00:00:01:0a', TIMEOUT_S, CLOCK);
  const b = new NetGuest('B', images, url, '52:54:00:00:01:0b', TIMEOUT_S, CLOCK);
  try {
    const start = performance.now();
    await Promise.all([a.ready(), b.ready()]);
    const [, ipB] = await Promise.all([a.lease(), b.lease()]);
    const readySeconds = (performance.now() - start) / 1000;
    const rates: number[] = [];
    for (let i = 0; i < TRANSFERS; i++) {
      const t = await tcpTransfer(a, b, ipB, TRANSFER_BYTES, 5001 + i);
      if (!t.intact) throw new Error(`transfer ${i + 1} arrived damaged (${t.bytes} bytes)`);
      rates.push(t.kilobytesPerSecond);
    }
    const sorted = [...rates].sort((x, y) => x - y);
    return { kibPerSecond: sorted[TRANSFERS >> 1], ...Object.fromEntries(rates.map((r, i) => [`transfer${i + 1}KibPerSecond`, r])), bytes: TRANSFER_BYTES, readySeconds, realtimeClock: CLOCK === 'realtime' ? 1 : 0 };
  } finally {
    a.kill();
    b.kill();
    await relay.close();
  }
}
