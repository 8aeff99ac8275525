import { describe, expect, it } from 'vitest';
import { BROADCAST, ETHERTYPE_TEST, TestClient, ethFrame, macString, relayFixture, waitFor } from './test-helpers.js';

const MAC_A = '02:00:00:00:00:0a';
const MAC_B = '02:00:00:00:00:0b';
const MAC_C = '02:00:00:00:00:0c';
const MAC_UNKNOWN = '02:00:00:00:00:ee';
const MULTICAST = '01:00:5e:00:00:fb';

const fixture = relayFixture();
const { connect } = fixture;

/** The tags (first payload byte) of the frames a client got, in order. */
const tags = (client: TestClient): number[] => client.frames.map((frame) => frame[14]);

describe('learning switch', () => {
  it('floods broadcast, multicast and unknown unicast, sends learned unicast to one port, never echoes', async () => {
    const relay = await fixture.start({ router: false });
    const [a, b, c] = await connect('lab', 3);

    a.send(ethFrame(BROADCAST, MAC_A, ETHERTYPE_TEST, 50, 1)); // A learned; flooded to B and C
    await b.waitFrames(1);
    await c.waitFrames(1);

    b.send(ethFrame(MAC_A, MAC_B, ETHERTYPE_TEST, 50, 2)); // B learned; unicast to A only
    await a.waitFrames(1);

    c.send(ethFrame(MAC_UNKNOWN, MAC_C, ETHERTYPE_TEST, 50, 3)); // unknown destination: flooded to A and B
    await a.waitFrames(2);
    await b.waitFrames(2);

    a.send(ethFrame(MAC_B, MAC_A, ETHERTYPE_TEST, 50, 4)); // learned: B only
    await b.waitFrames(3);

    c.send(ethFrame(MULTICAST, MAC_C, ETHERTYPE_TEST, 50, 5)); // multicast: flooded
    await a.waitFrames(3);
    await b.waitFrames(4);

    // Barrier: a frame from B to C arrives after anything the relay sent C earlier.
    b.send(ethFrame(MAC_C, MAC_B, ETHERTYPE_TEST, 50, 6));
    await c.waitFrames(2);
    // ... and one from C to A, after anything sent to A.
    c.send(ethFrame(MAC_A, MAC_C, ETHERTYPE_TEST, 50, 7));
    await a.waitFrames(4);
    c.send(ethFrame(MAC_B, MAC_C, ETHERTYPE_TEST, 50, 8));
    await b.waitFrames(5);

    expect(tags(a)).toEqual([2, 3, 5, 7]);
    expect(tags(b)).toEqual([1, 3, 4, 5, 8]);
    expect(tags(c)).toEqual([1, 6]);
    expect(macString(b.frames[0], 6)).toBe(MAC_A); // forwarded unchanged
    expect(b.frames[0].length).toBe(64);

    const stats = await relay.fetchStats();
    expect(stats.rooms).toBe(1);
    expect(stats.clients).toBe(3);
    expect(stats.framesIn).toBe(8);
    expect(stats.bytesIn).toBe(8 * 64);
    expect(stats.framesOut).toBe(11);
    expect(stats.bytesOut).toBe(11 * 64);
    expect(stats.macEntries).toBe(3);
    expect(Object.values(stats.drops).every((count) => count === 0)).toBe(true);
  });

  it('keeps rooms apart', async () => {
    const relay = await fixture.start({ router: false });
    const [a1, b1] = await connect('room-one', 2);
    const [a2, b2] = await connect('room-two', 2);

    a1.send(ethFrame(BROADCAST, MAC_A, ETHERTYPE_TEST, 20, 1));
    a2.send(ethFrame(BROADCAST, MAC_A, ETHERTYPE_TEST, 20, 2)); // the same MAC in another room is another host
    await b1.waitFrames(1);
    await b2.waitFrames(1);
    b1.send(ethFrame(MAC_A, MAC_B, ETHERTYPE_TEST, 20, 3));
    b2.send(ethFrame(MAC_A, MAC_B, ETHERTYPE_TEST, 20, 4));
    await a1.waitFrames(1);
    await a2.waitFrames(1);

    expect(tags(a1)).toEqual([3]);
    expect(tags(b1)).toEqual([1]);
    expect(tags(a2)).toEqual([4]);
    expect(tags(b2)).toEqual([2]);
    const stats = await relay.fetchStats();
    expect(stats.rooms).toBe(2);
    expect(stats.macEntries).toBe(4);
    expect(stats.framesOut).toBe(4);
  });

  it('forgets MACs after the ageing time, then floods again', async () => {
    const relay = await fixture.start({ router: false, limits: { macAgeingSeconds: 0.2 } });
    const [a, b, c] = await connect('ageing', 3);
    a.send(ethFrame(BROADCAST, MAC_A, ETHERTYPE_TEST, 20, 1));
    await b.waitFrames(1);
    await c.waitFrames(1);
    b.send(ethFrame(MAC_A, MAC_B, ETHERTYPE_TEST, 20, 2)); // learned: A only
    await a.waitFrames(1);
    await new Promise((resolve) => setTimeout(resolve, 350));
    b.send(ethFrame(MAC_A, MAC_B, ETHERTYPE_TEST, 20, 3)); // aged out: flooded to A and C
    await a.waitFrames(2);
    await c.waitFrames(2);
    expect(tags(c)).toEqual([1, 3]);
    expect((await relay.fetchStats()).framesOut).toBe(5);
  });

  it('drops frames to the sender\'s own port and frames from bad source MACs', async () => {
    const relay = await fixture.start();
    const [a, b] = await connect('filter', 2);
    a.send(ethFrame(BROADCAST, MAC_A, ETHERTYPE_TEST, 20, 1));
    await b.waitFrames(1);
    a.send(ethFrame(MAC_A, MAC_A, ETHERTYPE_TEST, 20, 2)); // to itself: filtered
    a.send(ethFrame(BROADCAST, '03:00:00:00:00:01', ETHERTYPE_TEST, 20, 3)); // multicast source
    a.send(ethFrame(BROADCAST, '00:00:00:00:00:00', ETHERTYPE_TEST, 20, 4)); // zero source
    a.send(ethFrame(BROADCAST, '02:00:c0:86:00:02', ETHERTYPE_TEST, 20, 5)); // the router's MAC
    a.send(ethFrame(MAC_B, MAC_A, ETHERTYPE_TEST, 20, 6));
    await b.waitFrames(2);
    expect(tags(b)).toEqual([1, 6]);
    expect(a.frames).toHaveLength(0);
    const stats = await relay.fetchStats();
    expect(stats.drops.filtered).toBe(1);
    expect(stats.drops.badSource).toBe(3);
    expect(stats.framesIn).toBe(6);
    expect(stats.framesOut).toBe(2);
  });

  it('caps the MAC table per port and per room against spoofed sources', async () => {
    const relay = await fixture.start({ router: false, limits: { maxMacsPerPort: 16, maxMacsPerRoom: 24 } });
    const [victim, attacker1, attacker2] = await connect('spoof', 3);
    victim.send(ethFrame(BROADCAST, MAC_A, ETHERTYPE_TEST, 20, 1));
    await attacker1.waitFrames(1);
    await attacker2.waitFrames(1);

    const spoofed = (port: number, i: number): string => `02:aa:${port.toString(16).padStart(2, '0')}:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
    for (let i = 0; i < 100; i++) attacker1.send(ethFrame(BROADCAST, spoofed(1, i), ETHERTYPE_TEST, 20, 2));
    await waitFor(async () => (await relay.fetchStats()).framesIn === 101, 5000, 'attacker 1 frames');
    // Port cap: 16 learned (and forwarded), 84 dropped. Room: 1 + 16 = 17 of 24.
    for (let i = 0; i < 100; i++) attacker2.send(ethFrame(BROADCAST, spoofed(2, i), ETHERTYPE_TEST, 20, 3));
    await waitFor(async () => (await relay.fetchStats()).framesIn === 201, 5000, 'attacker 2 frames');
    // Room cap: 7 more learned, 93 dropped.

    // The victim still reaches a legitimate peer by unicast, without flooding the attackers.
    const [peer] = await connect('spoof', 1);
    peer.send(ethFrame(BROADCAST, MAC_B, ETHERTYPE_TEST, 20, 4)); // the room is full: even a new port cannot learn
    victim.send(ethFrame(MAC_B, MAC_A, ETHERTYPE_TEST, 20, 5));
    await waitFor(async () => (await relay.fetchStats()).framesIn === 203, 5000, 'last frames');
    await victim.waitFrames(16 + 7);

    const stats = await relay.fetchStats();
    expect(stats.drops.macLimit).toBe(84 + 93 + 1); // the peer's own MAC does not fit the full room either
    expect(stats.macEntries).toBe(24);
    expect(victim.frames.filter((frame) => frame[14] === 2)).toHaveLength(16);
    expect(victim.frames.filter((frame) => frame[14] === 3)).toHaveLength(7);
    // MAC_B was never learned, so the victim's unicast floods: the peer gets it.
    await peer.waitFrames(1);
    expect(peer.frames.map((frame) => frame[14])).toEqual([5]);
  });

  it('lets a port learn again once its spoofed entries have aged out', async () => {
    const relay = await fixture.start({ router: false, limits: { maxMacsPerPort: 2, macAgeingSeconds: 0.1 } });
    const [a, b] = await connect('relearn', 2);
    a.send(ethFrame(BROADCAST, '02:00:00:00:01:01', ETHERTYPE_TEST, 20, 1));
    a.send(ethFrame(BROADCAST, '02:00:00:00:01:02', ETHERTYPE_TEST, 20, 2));
    a.send(ethFrame(BROADCAST, '02:00:00:00:01:03', ETHERTYPE_TEST, 20, 3)); // over the cap
    await b.waitFrames(2);
    await new Promise((resolve) => setTimeout(resolve, 200));
    a.send(ethFrame(BROADCAST, '02:00:00:00:01:03', ETHERTYPE_TEST, 20, 4)); // old ones aged: fits now
    await b.waitFrames(3);
    expect(tags(b)).toEqual([1, 2, 4]);
    const stats = await relay.fetchStats();
    expect(stats.drops.macLimit).toBe(1);
    expect(stats.macEntries).toBe(1);
  });
});
