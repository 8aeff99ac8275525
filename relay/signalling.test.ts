import { describe, expect, it } from 'vitest';
import { relayFixture, TestClient, upgradeStatus, waitFor } from './test-helpers.js';

const fixture = relayFixture();
const connect = fixture.connectSignal;

const json = (client: TestClient): Record<string, unknown>[] => client.texts.map((text) => JSON.parse(text) as Record<string, unknown>);
const send = (client: TestClient, message: unknown): void => client.send(JSON.stringify(message));

describe('signalling', () => {
  it('relays publishes to the topic\'s subscribers with a clients count, as y-webrtc expects', async () => {
    const relay = await fixture.start();
    const [alice, bob, carol] = await connect(3);
    send(alice, { type: 'subscribe', topics: ['room-a'] });
    send(bob, { type: 'subscribe', topics: ['room-a', 42, ''] }); // invalid entries are skipped
    send(carol, { type: 'subscribe', topics: ['room-b'] });
    await waitFor(async () => (await relay.fetchStats()).signal.topics === 2);

    const announce = { type: 'publish', topic: 'room-a', data: { type: 'announce', from: 'peer-alice' } };
    send(alice, announce);
    await alice.waitTexts(1);
    await bob.waitTexts(1);
    expect(json(alice)[0]).toEqual({ ...announce, clients: 2 });
    expect(json(bob)[0]).toEqual({ ...announce, clients: 2 });

    // A publisher need not be subscribed; a binary message with JSON is accepted as y-webrtc's server does.
    carol.send(Buffer.from(JSON.stringify({ type: 'publish', topic: 'room-a', data: 'b64==' })));
    await bob.waitTexts(2);
    expect(json(bob)[1]).toEqual({ type: 'publish', topic: 'room-a', data: 'b64==', clients: 2 });

    send(bob, { type: 'unsubscribe', topics: ['room-a'] });
    send(alice, { type: 'publish', topic: 'room-a', data: { n: 3 } });
    await alice.waitTexts(3);
    expect(json(alice)[2]).toMatchObject({ data: { n: 3 }, clients: 1 });

    send(carol, { type: 'ping' });
    await carol.waitTexts(1);
    expect(json(carol)).toEqual([{ type: 'pong' }]);
    // Barrier for bob: a ping of his own comes back after anything published to him earlier.
    send(bob, { type: 'ping' });
    await bob.waitTexts(3);
    expect(json(bob)[2]).toEqual({ type: 'pong' });

    const stats = await relay.fetchStats();
    expect(stats.signalClients).toBe(3);
    expect(stats.signal).toMatchObject({ messagesIn: 9, messagesOut: 7, publishes: 3, topics: 2 });
    expect(Object.values(stats.drops).every((count) => count === 0)).toBe(true);

    await fixture.closeClients();
    await waitFor(async () => (await relay.fetchStats()).signalClients === 0);
    expect((await relay.fetchStats()).signal.topics).toBe(0);
  });

  it('drops bad JSON, bad messages and oversized messages, and enforces topic limits', async () => {
    const relay = await fixture.start({ limits: { signalMaxMessageBytes: 1024, maxTopicsPerClient: 2, maxTopics: 3 } });
    const [a, b] = await connect(2);
    a.send('{not json');
    a.send('[1,2,3]');
    a.send('"subscribe"');
    send(a, { type: 'subscribe', topics: 'room' });
    send(a, { type: 'publish' });
    send(a, { type: 'warp' });
    send(a, { type: 'publish', topic: 't1', data: 'x'.repeat(2000) });
    send(a, { type: 'subscribe', topics: ['t1', 't2', 't3'] }); // the third is over the per-client cap
    send(b, { type: 'subscribe', topics: ['t4', 't5'] }); // t5 is over the per-relay cap
    send(a, { type: 'ping' });
    send(b, { type: 'ping' });
    await a.waitTexts(1);
    await b.waitTexts(1);
    const stats = await relay.fetchStats();
    expect(stats.drops).toMatchObject({ signalBadJson: 1, signalBadMessage: 5, signalTooLarge: 1, signalTopicLimit: 2 });
    expect(stats.signal.topics).toBe(3);
    expect(json(a)).toEqual([{ type: 'pong' }]);
  });

  it('rate-limits a chatty client and caps the number of clients', async () => {
    const relay = await fixture.start({ limits: { signalMessagesPerSecond: 10, maxSignalClients: 2 } });
    const [a] = await connect(2);
    const started = performance.now();
    for (let i = 0; i < 60; i++) send(a, { type: 'ping' });
    await waitFor(async () => (await relay.fetchStats()).signal.messagesIn === 60);
    const seconds = (performance.now() - started) / 1000;
    const stats = await relay.fetchStats();
    // A burst of 10, plus 10/s refilled while the pings arrived.
    expect(a.texts.length).toBeGreaterThanOrEqual(10);
    expect(a.texts.length).toBeLessThanOrEqual(10 + Math.ceil(10 * seconds));
    expect(stats.drops.signalRate).toBe(60 - a.texts.length);
    expect(await upgradeStatus(relay.signalUrl)).toBe(503);
    expect((await relay.fetchStats()).drops.tooManySignalClients).toBe(1);
  });
});

describe('signalling with the real y-webrtc client', () => {
  it('accepts y-webrtc\'s subscribe and relays its announce', async () => {
    const relay = await fixture.start();
    const [observer] = await connect(1);
    send(observer, { type: 'subscribe', topics: ['co86-interop'] });
    await waitFor(async () => (await relay.fetchStats()).signal.topics === 1);

    // y-webrtc (through lib0) uses the global WebSocket, which Node 20 lacks: lend it ws's for this test.
    const { WebSocket } = await import('ws');
    const globals = globalThis as { WebSocket?: unknown };
    const saved = globals.WebSocket;
    globals.WebSocket = WebSocket;
    const Y = await import('yjs');
    const { WebrtcProvider } = await import('y-webrtc');
    const doc = new Y.Doc();
    const provider = new WebrtcProvider('co86-interop', doc, { signaling: [relay.signalUrl], filterBcConns: false });
    try {
      const texts = await observer.waitTexts(1);
      const announce = JSON.parse(texts[0]) as { type: string; topic: string; clients: number; data: { type: string; from: string } };
      expect(announce).toMatchObject({ type: 'publish', topic: 'co86-interop', clients: 2, data: { type: 'announce' } });
      expect(announce.data.from).toBe(provider.room!.peerId);
      const stats = await relay.fetchStats();
      expect(stats.signalClients).toBe(2);
      expect(stats.signal.topics).toBe(1);
      expect(stats.drops.signalBadJson + stats.drops.signalBadMessage).toBe(0);
    } finally {
      provider.disconnect(); // closes y-webrtc's (module-level) signalling connection for good
      provider.destroy();
      doc.destroy();
      await waitFor(async () => (await relay.fetchStats()).signalClients === 1, 5000, 'y-webrtc to disconnect');
      globals.WebSocket = saved;
    }
  });
});
