import net from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  BROADCAST,
  ETHERTYPE_TEST,
  ethFrame,
  icmpEcho,
  ip,
  prng,
  relayFixture,
  udpPacket,
  upgradeStatus,
  waitFor,
} from './test-helpers.js';

const MAC_A = '02:00:00:00:00:0a';
const MAC_B = '02:00:00:00:00:0b';
const MAC_C = '02:00:00:00:00:0c';

const fixture = relayFixture();
const { connect, clients } = fixture;

describe('relay limits', () => {
  it('drops runt, giant and text messages, forwards 14- and 1518-byte frames, closes on ws-level oversize', async () => {
    const relay = await fixture.start({ router: false, limits: { wsMaxPayloadBytes: 4096 } });
    const [a, b] = await connect('sizes', 2);
    a.send(Buffer.alloc(0));
    a.send(Buffer.alloc(13, 0xff));
    a.send(ethFrame(BROADCAST, MAC_A, ETHERTYPE_TEST, 1519 - 14));
    a.send(ethFrame(BROADCAST, MAC_A, ETHERTYPE_TEST, 4000 - 14));
    a.send('hello, this is text');
    a.send(ethFrame(BROADCAST, MAC_A, ETHERTYPE_TEST, 0)); // exactly a header: 14 bytes
    a.send(ethFrame(BROADCAST, MAC_A, ETHERTYPE_TEST, 1518 - 14, 9));
    await b.waitFrames(2);
    expect(b.frames.map((frame) => frame.length)).toEqual([14, 1518]);
    let stats = await relay.fetchStats();
    expect(stats.drops).toMatchObject({ runt: 2, giant: 2, textMessage: 1 });
    expect(stats.framesIn).toBe(7);
    expect(stats.framesOut).toBe(2);

    // Over the ws maxPayload: the relay closes that connection (1009) and carries on.
    a.send(Buffer.alloc(5000));
    await waitFor(() => a.closeCode !== null);
    expect(a.closeCode).toBe(1009);
    const [c] = await connect('sizes');
    c.send(ethFrame(BROADCAST, MAC_C, ETHERTYPE_TEST, 30));
    await b.waitFrames(3);
    stats = await relay.fetchStats();
    expect(stats.drops.payloadTooLarge).toBe(1);
    expect(stats.clients).toBe(2);
  });

  it('rate-limits a flooding port (frames/s) while other ports are still served', async () => {
    const relay = await fixture.start({ router: false, limits: { portFramesPerSecond: 200, portBurstSeconds: 0.5 } });
    const [flooder, victim, talker] = await connect('flood', 3);
    const started = performance.now();
    for (let i = 0; i < 2000; i++) flooder.send(ethFrame(BROADCAST, MAC_A, ETHERTYPE_TEST, 46, 1));
    for (let i = 0; i < 50; i++) talker.send(ethFrame(BROADCAST, MAC_C, ETHERTYPE_TEST, 46, 2));
    await waitFor(async () => (await relay.fetchStats()).framesIn === 2050, 10_000, 'all frames in');
    const seconds = (performance.now() - started) / 1000;
    await victim.waitFrames(50);
    const fromFlooder = victim.frames.filter((frame) => frame[14] === 1).length;
    const fromTalker = victim.frames.filter((frame) => frame[14] === 2).length;
    expect(fromTalker).toBe(50);
    // The bucket holds 100 frames and refills at 200/s.
    expect(fromFlooder).toBeGreaterThanOrEqual(100);
    expect(fromFlooder).toBeLessThanOrEqual(100 + Math.ceil(200 * seconds) + 1);
    const stats = await relay.fetchStats();
    expect(stats.drops.rateFrames).toBe(2000 - fromFlooder);
    expect(stats.drops.rateBytes).toBe(0);
  });

  it('rate-limits bytes/s', async () => {
    const relay = await fixture.start({ router: false, limits: { portBytesPerSecond: 10_000, portBurstSeconds: 0.5 } });
    const [a, b] = await connect('bytes', 2);
    const started = performance.now();
    for (let i = 0; i < 20; i++) a.send(ethFrame(BROADCAST, MAC_A, ETHERTYPE_TEST, 1500));
    await waitFor(async () => (await relay.fetchStats()).framesIn === 20);
    const seconds = (performance.now() - started) / 1000;
    const stats = await relay.fetchStats();
    // 5000 bytes of burst: 3 frames of 1514, plus what refilled at 10000 bytes/s meanwhile.
    expect(b.frames.length).toBeGreaterThanOrEqual(3);
    expect(b.frames.length).toBeLessThanOrEqual(3 + Math.ceil((10_000 * seconds) / 1514));
    expect(stats.drops.rateBytes).toBe(20 - b.frames.length);
  });

  it('drops frames for a slow receiver instead of buffering without bound', async () => {
    const relay = await fixture.start({ router: false, limits: { maxSendQueueBytes: 64 * 1024, portFramesPerSecond: Infinity, portBytesPerSecond: Infinity } });
    const [sender, slow, fast] = await connect('slow', 3);
    slow.send(ethFrame(BROADCAST, MAC_B, ETHERTYPE_TEST, 46));
    fast.send(ethFrame(BROADCAST, MAC_C, ETHERTYPE_TEST, 46));
    await sender.waitFrames(2);
    // The slow client stops reading: its socket buffers fill, then the relay's queue for it.
    (slow.ws as unknown as { _socket: net.Socket })._socket.pause();
    const frame = ethFrame(MAC_B, MAC_A, ETHERTYPE_TEST, 1500);
    let sent = 0;
    for (let batch = 0; batch < 200; batch++) {
      for (let i = 0; i < 200; i++) sender.send(frame);
      sent += 200;
      await waitFor(async () => (await relay.fetchStats()).framesIn >= sent + 2, 10_000, 'frames in');
      if ((await relay.fetchStats()).drops.queueFull > 0) break;
    }
    const stats = await relay.fetchStats();
    expect(stats.drops.queueFull).toBeGreaterThan(0);
    // 4 learning broadcasts, then everything to the slow port that was not dropped.
    expect(stats.framesOut).toBe(4 + sent - stats.drops.queueFull);
    // Other ports are still served promptly.
    sender.send(ethFrame(MAC_C, MAC_A, ETHERTYPE_TEST, 46, 7));
    await fast.waitFrame((f) => f[14] === 7);
    (slow.ws as unknown as { _socket: net.Socket })._socket.resume();
  });

  it('caps clients per room and rooms per server, and refuses bad rooms and paths', async () => {
    const relay = await fixture.start({ limits: { maxClientsPerRoom: 3, maxRooms: 2 } });
    await connect('one', 3);
    expect(await upgradeStatus(relay.netUrl('one'))).toBe(503);
    await connect('two');
    expect(await upgradeStatus(relay.netUrl('three'))).toBe(503);
    expect(await upgradeStatus(relay.netUrl('.hidden'))).toBe(400);
    expect(await upgradeStatus(relay.netUrl('a%20b'))).toBe(400);
    expect(await upgradeStatus(relay.netUrl('x'.repeat(65)))).toBe(400);
    expect(await upgradeStatus(relay.netUrl(''))).toBe(400);
    expect(await upgradeStatus(relay.url.replace('http', 'ws') + '/elsewhere')).toBe(404);
    const stats = await relay.fetchStats();
    expect(stats.drops).toMatchObject({ roomFull: 1, tooManyRooms: 1, badRoom: 4, badPath: 1 });
    expect(stats.rooms).toBe(2);
    expect(stats.clients).toBe(4);
    // A room freed is a room available.
    await Promise.all(clients.splice(3, 1).map((client) => client.close()));
    await waitFor(async () => (await relay.fetchStats()).rooms === 1);
    expect(await upgradeStatus(relay.netUrl('three'))).toBe(101);
  });

  it('closes clients that stop answering pings, keeps the others', async () => {
    const relay = await fixture.start({ limits: { pingIntervalSeconds: 0.1 } });
    const [silent, lively] = await connect('ping', 2);
    const [signal] = await fixture.connectSignal();
    (silent.ws as unknown as { _socket: net.Socket })._socket.pause(); // reads nothing, so never pongs
    await waitFor(async () => (await relay.fetchStats()).clients === 1, 5000, 'the silent client to be closed');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const stats = await relay.fetchStats();
    expect(stats.drops.pingTimeout).toBe(1);
    expect(stats.clients).toBe(1);
    expect(stats.signalClients).toBe(1);
    expect(lively.closeCode).toBeNull();
    expect(signal.closeCode).toBeNull();
  });

  it('serves 200 simultaneous connections in one room', async () => {
    const relay = await fixture.start({ router: false, limits: { maxClientsPerRoom: 256 } });
    const many = await connect('crowd', 200);
    expect((await relay.fetchStats()).clients).toBe(200);
    const mac = (i: number): string => `02:00:00:01:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
    many[0].send(ethFrame(BROADCAST, mac(0), ETHERTYPE_TEST, 46));
    await Promise.all(many.slice(1).map((client) => client.waitFrames(1)));
    for (let i = 1; i < 200; i++) many[i].send(ethFrame(mac(0), mac(i), ETHERTYPE_TEST, 46));
    await many[0].waitFrames(199);
    expect(many.slice(1).every((client) => client.frames.length === 1)).toBe(true);
    let stats = await relay.fetchStats();
    expect(stats.framesIn).toBe(200);
    expect(stats.framesOut).toBe(199 + 199);
    expect(stats.macEntries).toBe(200);
    expect(stats.connectionsAccepted).toBe(200);
    await fixture.closeClients();
    await waitFor(async () => (await relay.fetchStats()).clients === 0);
    stats = await relay.fetchStats();
    expect(stats.rooms).toBe(0);
    expect(stats.macEntries).toBe(0);
  });

  it('survives abrupt disconnects mid-stream', async () => {
    const relay = await fixture.start({ router: false, limits: { portFramesPerSecond: Infinity, portBytesPerSecond: Infinity } });
    const [streamer, victim, watcher] = await connect('abrupt', 3);
    victim.send(ethFrame(BROADCAST, MAC_B, ETHERTYPE_TEST, 46));
    await streamer.waitFrames(1);
    for (let i = 0; i < 300; i++) streamer.send(ethFrame(BROADCAST, MAC_A, ETHERTYPE_TEST, 1000, 1));
    await watcher.waitFrames(1);
    (victim.ws as unknown as { _socket: net.Socket })._socket.destroy(); // no close frame
    for (let i = 0; i < 300; i++) streamer.send(ethFrame(BROADCAST, MAC_A, ETHERTYPE_TEST, 1000, 1));

    // A raw socket that upgrades, sends half a WebSocket frame and vanishes.
    const port = Number(new URL(relay.url).port);
    await new Promise<void>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.write(
          'GET /net/abrupt HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
            'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
        );
      });
      socket.once('data', () => {
        socket.write(Buffer.from([0x82, 0xfe, 0x05, 0xdc, 1, 2, 3, 4, 0, 0, 0])); // 1500-byte masked frame, cut short
        socket.destroy();
        resolve();
      });
      socket.on('error', () => resolve());
    });
    // Garbage instead of HTTP.
    await new Promise<void>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.end(Buffer.from([0, 1, 2, 3, 0xff, 0x0d, 0x0a, 0x0d, 0x0a])));
      socket.on('close', () => resolve());
      socket.on('error', () => resolve());
    });

    await watcher.waitFrames(600, 10_000);
    await waitFor(async () => (await relay.fetchStats()).clients === 2, 5000, 'the dead clients to be gone');
    watcher.send(ethFrame(MAC_A, MAC_C, ETHERTYPE_TEST, 46, 5));
    await streamer.waitFrame((frame) => frame[14] === 5);
    const stats = await relay.fetchStats();
    expect(stats.framesIn).toBe(602);
    expect(stats.macEntries).toBe(2); // the victim's MAC left with its port
    expect(stats.connectionsAccepted).toBe(4);
  });

  it('never crashes on random input, including IPv4 aimed at the router', async () => {
    const relay = await fixture.start();
    const [fuzzer, observer] = await connect('fuzz', 2);
    const random = prng(86);
    const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
    let sent = 0;
    for (let i = 0; i < 400; i++) {
      const kind = i % 4;
      let frame: Buffer;
      if (kind === 0) frame = bytes(Math.floor(random() * 1600));
      else {
        // Structured: broadcast IPv4/ARP with random payloads, some on the DHCP port or ICMP to the gateway.
        const payload = kind === 1 ? bytes(20 + Math.floor(random() * 600)) : kind === 2 ? udpPacket(0, 0xffffffff, 68, 67, bytes(Math.floor(random() * 400))) : icmpEcho(ip('10.0.2.9'), ip('10.0.2.2'), 1, i, bytes(40));
        if (kind !== 0 && random() < 0.5) payload[Math.floor(random() * payload.length)] ^= 1 << Math.floor(random() * 8);
        frame = ethFrame(BROADCAST, MAC_A, random() < 0.8 ? 0x0800 : 0x0806, payload);
      }
      fuzzer.send(frame);
      sent++;
    }
    fuzzer.send('{"text": true}');
    await waitFor(async () => (await relay.fetchStats()).framesIn === sent + 1);
    observer.send(ethFrame(BROADCAST, MAC_B, ETHERTYPE_TEST, 46, 3));
    await fuzzer.waitFrame((frame) => frame[14] === 3);
    const stats = await relay.fetchStats();
    expect(stats.clients).toBe(2);
    expect(stats.drops.textMessage).toBe(1);
    const dropped = stats.drops.runt + stats.drops.giant + stats.drops.badSource + stats.drops.macLimit;
    expect(observer.frames.length).toBe(sent - dropped);
    expect(relay.logLines.some((line) => line.startsWith('internal error'))).toBe(false);
  });
});
