import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureGuestImages, type GuestImages } from '../images/guest.js';
import { startRelay, type RunningRelay } from '../relay/index.js';
import { NetGuest, tcpTransfer } from './guest-net.js';

/** Three guests boot and lease in under a minute on two quiet cores with the JIT; much longer on a loaded machine or with --no-jit. */
const RUN_TIMEOUT_S = 1800;

/**
 * Issue 5's networking test: three Debian guests (real CLI processes) on the real relay. Two share a room,
 * get DHCP leases from the room's router, ping each other 20 times without loss and move 256 KiB over TCP
 * intact; the third, in another room, gets its own lease and cannot reach them. CO86_NET_LOG=DIR writes each
 * guest's console to DIR/guest-A.log … as it runs.
 */
describe('guests on one relay room reach each other, and only each other', () => {
  let images: GuestImages;
  let relay: RunningRelay;
  const guests: NetGuest[] = [];

  beforeAll(async () => {
    images = await ensureGuestImages();
    relay = await startRelay({ port: 0, host: '127.0.0.1', staticDir: '/nonexistent-co86-static', log: () => {} });
  }, 600_000);

  afterAll(async () => {
    for (const g of guests) g.kill();
    await relay?.close();
  });

  it('two VMs get leases and ping 20 times with 0% loss; a VM in another room gets no answer', async () => {
    const ws = relay.url.replace(/^http/, 'ws');
    const a = new NetGuest('A', images, `${ws}/net/lan`, '52:54:00:00:00:0a', RUN_TIMEOUT_S);
    const b = new NetGuest('B', images, `${ws}/net/lan`, '52:54:00:00:00:0b', RUN_TIMEOUT_S);
    const c = new NetGuest('C', images, `${ws}/net/elsewhere`, '52:54:00:00:00:0c', RUN_TIMEOUT_S);
    guests.push(a, b, c);
    const started = performance.now();
    const seconds = () => ((performance.now() - started) / 1000).toFixed(0);
    expect(await Promise.all(guests.map((g) => g.ready()))).toEqual(['52:54:00:00:00:0a', '52:54:00:00:00:0b', '52:54:00:00:00:0c']);
    const [ipA, ipB, ipC] = await Promise.all(guests.map((g) => g.lease()));
    console.log(`booted and leased after ${seconds()} s: A ${ipA}, B ${ipB}, C ${ipC}`);
    expect(ipA).not.toBe(ipB);

    const ping = await a.run(`ping -c 20 ${ipB}`, /(\d+) packets transmitted, (\d+) packets received, (\d+)% packet loss/);
    expect([ping[1], ping[2], ping[3]]).toEqual(['20', '20', '0']);
    const back = await b.run(`ping -c 3 ${ipA}`, /(\d+) packets transmitted, (\d+) packets received/);
    expect(back[2]).toBe('3');

    // C's room has its own router and pool: whatever address A and B have, nobody there answers for it.
    const target = ipC === ipB ? ipA : ipB;
    const isolated = await c.run(`ping -c 3 -W 1 ${target}`, /(\d+) packets transmitted, (\d+) packets received/);
    expect(isolated[2]).toBe('0');

    const transfer = await tcpTransfer(a, b, ipB, 256 * 1024);
    console.log(`TCP A→B: ${transfer.bytes} bytes in ${transfer.seconds.toFixed(1)} s (${transfer.kilobytesPerSecond.toFixed(0)} KiB/s); done after ${seconds()} s`);
    expect(transfer.intact).toBe(true);
  }, (RUN_TIMEOUT_S + 60) * 1000);
});
