import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { Ps2Mouse } from '../../core/index.js';
import { GuestControl, HostControl, LIMITS, proofFor, readControl, type InputEvent, type Role } from './control.js';
import { inviteProof, Invites } from './invites.js';
import { MouseBatch } from './mouse.js';

const readChat = (doc: Y.Doc, host: number) => readControl(doc, host)?.chat ?? [];

/**
 * A seeded in-memory network of Y.Docs: every update a doc makes is queued for every other doc and
 * delivered in a random (seeded) order, like yjs's own test helper — but no network and no timers.
 */
class Net {
  readonly docs: Y.Doc[] = [];
  private readonly queues = new Map<Y.Doc, Uint8Array[]>();
  private seed: number;

  constructor(seed: number) {
    this.seed = seed;
  }

  random(): number {
    this.seed = (this.seed * 1103515245 + 12345) & 0x7fffffff;
    return this.seed / 0x80000000;
  }

  add(clientID: number): Y.Doc {
    const doc = new Y.Doc();
    doc.clientID = clientID;
    this.queues.set(doc, []);
    doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin === 'net') return;
      for (const other of this.docs) if (other !== doc) this.queues.get(other)!.push(update);
    });
    const others = [...this.docs];
    this.docs.push(doc);
    // A late joiner starts from everyone's state, as y-webrtc's sync step does.
    for (const other of others) Y.applyUpdate(doc, Y.encodeStateAsUpdate(other), 'net');
    for (const other of others) Y.applyUpdate(other, Y.encodeStateAsUpdate(doc), 'net');
    return doc;
  }

  /** Deliver queued updates one at a time to random docs in random order until everything is quiet. */
  flush(): void {
    for (let guard = 0; guard < 100_000; guard++) {
      const pending = this.docs.filter((d) => this.queues.get(d)!.length);
      if (!pending.length) return;
      const doc = pending[Math.floor(this.random() * pending.length)];
      const queue = this.queues.get(doc)!;
      const [update] = queue.splice(Math.floor(this.random() * queue.length), 1);
      Y.applyUpdate(doc, update, 'net');
    }
    throw new Error('the network did not settle');
  }

  /** Every doc has the same content: the same state vector and the same shared types. */
  converged(): boolean {
    const summary = (d: Y.Doc) => {
      const vector = [...Y.decodeStateVector(Y.encodeStateVector(d))].sort((a, b) => a[0] - b[0]);
      const names = [...this.docs[0].share.keys()].sort();
      const types = names.map((n) => (n.startsWith('peer:') || n === 'control' ? d.getMap(n).toJSON() : d.getArray(n).toJSON()));
      return JSON.stringify([vector, names, types]);
    };
    const first = summary(this.docs[0]);
    return this.docs.every((d) => summary(d) === first);
  }
}

const key = (codes: number[]): InputEvent => ({ kind: 'keys', codes });

function setup(
  seed: number,
  options: { mode?: 'host-only' | 'turns' | 'free'; verify?: (id: number, proof: string | undefined) => Role | 'refused' | Promise<Role | 'refused'>; onInput?: (from: number, e: InputEvent) => void } = {},
) {
  const net = new Net(seed);
  let now = 1_000_000;
  const received: Array<[number, number[]]> = [];
  const hostDoc = net.add(1);
  const host = new HostControl(hostDoc, {
    name: 'Hope',
    colour: '#112233',
    mode: options.mode ?? 'turns',
    turnMs: 10_000,
    now: () => now,
    verify: options.verify,
    onInput: (from, e) => {
      received.push([from, e.kind === 'keys' ? e.codes : [e.dx, e.dy, e.dz, e.buttons]]);
      options.onInput?.(from, e);
    },
  });
  const guest = (id: number, name: string) => new GuestControl(net.add(id), 1, { name, colour: '#aa0000' });
  return {
    net, host, hostDoc, received, guest,
    advance: (ms: number) => {
      now += ms;
      host.tick();
      net.flush();
    },
  };
}

describe('session control in Yjs (seeded in-memory peers)', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`turns: request, hold, queue, timer only while someone waits, pass on (seed ${seed})`, () => {
      const { net, host, received, guest, advance } = setup(seed);
      const a = guest(10, 'Ada');
      const b = guest(20, 'Bob');
      net.flush();
      expect(Object.keys(host.snapshot().participants).sort()).toEqual(['1', '10', '20']);

      a.requestControl();
      net.flush();
      let s = a.state()!;
      expect(s.holder).toBe(10);
      expect(s.turnEndsAt).toBe(0); // nobody waits: the timer does not run
      expect(a.mayType()).toBe(true);
      expect(b.mayType()).toBe(false);

      a.sendInput(key([0x1c]));
      b.sendInput(key([0x32])); // not holding control: dropped
      net.flush();
      expect(received).toEqual([[10, [0x1c]]]);

      advance(60_000); // a long turn is fine while nobody waits
      expect(b.state()!.holder).toBe(10);

      b.requestControl();
      net.flush();
      s = b.state()!;
      expect(s.queue).toEqual([20]);
      expect(s.turnEndsAt).toBeGreaterThan(0);
      advance(9_000);
      expect(b.state()!.holder).toBe(10);
      advance(1_000);
      s = b.state()!;
      expect(s.holder).toBe(20);
      expect(s.queue).toEqual([]);
      expect(s.turnEndsAt).toBe(0);

      b.sendInput(key([0x32]));
      a.sendInput(key([0x1c])); // turn over: dropped
      net.flush();
      expect(received).toEqual([[10, [0x1c]], [20, [0x32]]]);

      b.releaseControl();
      net.flush();
      expect(a.state()!.holder).toBe(0);
      expect(net.converged()).toBe(true);
    });
  }

  it('free-for-all lets every guest type; host-only lets none; viewers never', () => {
    const { net, host, received, guest } = setup(7, { mode: 'free', verify: (id) => (id === 30 ? 'viewer' : 'guest') });
    const a = guest(10, 'Ada');
    const v = guest(30, 'Vic');
    net.flush();
    expect(host.snapshot().participants[30].role).toBe('viewer');
    a.sendInput(key([1]));
    v.sendInput(key([2]));
    v.requestControl();
    net.flush();
    expect(received).toEqual([[10, [1]]]);
    host.setMode('host-only');
    net.flush();
    a.sendInput(key([3]));
    net.flush();
    expect(received).toEqual([[10, [1]]]);
    host.setMode('turns');
    v.requestControl();
    net.flush();
    expect(a.state()!.queue).toEqual([]);
    expect(a.state()!.holder).toBe(0);
  });

  it('input arrives in order, duplicates and malformed events are dropped, floods are rate-limited', () => {
    const { net, received, guest, hostDoc, advance } = setup(11, { mode: 'free' });
    const a = guest(10, 'Ada');
    net.flush();
    for (let i = 0; i < 50; i++) a.sendInput(key([i]));
    net.flush();
    expect(received.map(([, c]) => c[0])).toEqual([...Array(50).keys()]);
    // Malformed tuples written straight into the guest's own input area.
    const input = a.doc.getArray<unknown>('input:10');
    input.push([[9999, 1, 300], [10000, 1], [10001, 7, 1], 'junk', [10002, 2, 5000, 0, 0], [3, 1, 5]]);
    net.flush();
    expect(received.length).toBe(50);
    // A flood: far more than the burst in one go; the rest is dropped and the area emptied.
    received.length = 0;
    advance(10_000);
    for (let i = 0; i < 1000; i++) a.sendInput(key([i & 0xff]));
    net.flush();
    expect(received.length).toBe(LIMITS.inputBurst);
    expect(hostDoc.getArray('input:10').length).toBe(0);
  });

  it('mouse: the holder moves the VM\'s PS/2 mouse, a non-holder does not, a flood is rate-limited', () => {
    // The host feeds allowed mouse events to a real PS/2 mouse, as the app does through Machine.mouseMove.
    const mouse = new Ps2Mouse();
    mouse.write(0xf4); // the guest OS enables data reporting
    expect(mouse.read()).toBe(0xfa);
    const packets = () => {
      const out: number[][] = [];
      for (let b = mouse.read(); b >= 0; b = mouse.read()) {
        if (!out.length || out[out.length - 1].length === 3) out.push([]);
        out[out.length - 1].push(b);
      }
      return out;
    };
    const { net, guest, received, advance } = setup(37, { onInput: (_from, e) => e.kind === 'mouse' && mouse.move(e.dx, e.dy, e.dz, e.buttons) });
    const a = guest(10, 'Ada');
    const b = guest(20, 'Bob');
    net.flush();
    a.requestControl();
    net.flush();
    // Ada holds control: motion batched at the guest (many small moves, one event), then a click.
    const batch = new MouseBatch((e) => a.sendInput(e));
    for (let i = 0; i < 10; i++) batch.move(3, -2, 0, 0);
    batch.flush();
    batch.move(0, 0, 0, 1); // left button down: leaves at once
    batch.move(0, 0, 0, 0);
    // Bob does not hold control: his motion and click never reach the mouse.
    b.sendInput({ kind: 'mouse', dx: 50, dy: 50, dz: 0, buttons: 2 });
    net.flush();
    expect(received).toEqual([[10, [30, -20, 0, 0]], [10, [0, 0, 0, 1]], [10, [0, 0, 0, 0]]]);
    // PS/2: y is up, so the DOM's -20 (up) is +20; bit 3 always set; bit 0 the left button.
    expect(packets()).toEqual([[0x08, 30, 20], [0x09, 0, 0], [0x08, 0, 0]]);

    // Wheel and out-of-range values: a hostile tuple is dropped, the batch splits large sums.
    a.doc.getArray<unknown>('input:10').push([[1000, 2, 5, 5, 0, 99], [1001, 2, 5, 5, 8, 0]]);
    net.flush();
    expect(received.length).toBe(3);
    batch.move(3000, 0, 0, 0);
    batch.flush();
    net.flush();
    expect(received.slice(3).map(([, m]) => m[0])).toEqual([1024, 1024, 952]);
    packets();

    // A flood of mouse events: the burst passes, the rest is dropped — and keys still have their own budget.
    received.length = 0;
    advance(10_000);
    for (let i = 0; i < 500; i++) a.sendInput({ kind: 'mouse', dx: 1, dy: 0, dz: 0, buttons: 0 });
    a.sendInput(key([0x1c]));
    net.flush();
    expect(received.filter(([, m]) => m.length === 4).length).toBe(LIMITS.mouseBurst);
    expect(received[received.length - 1]).toEqual([10, [0x1c]]);
    expect(packets().length).toBe(LIMITS.mouseBurst);

    // The turn passes to Bob: now Ada's mouse is ignored and his moves the VM's.
    a.releaseControl();
    b.requestControl();
    net.flush();
    a.sendInput({ kind: 'mouse', dx: 9, dy: 0, dz: 0, buttons: 0 });
    b.sendInput({ kind: 'mouse', dx: 0, dy: 4, dz: 0, buttons: 0 });
    advance(1000);
    expect(packets()).toEqual([[0x28, 0, 0xfc]]);
  });

  it('hostile writes: control fields, chat lines and another guest\'s area are ignored and repaired', () => {
    const { net, host, guest, received } = setup(13);
    const a = guest(10, 'Ada');
    const m = guest(66, 'Mallory');
    net.flush();
    a.requestControl();
    net.flush();
    const control = m.doc.getMap<unknown>('control');
    const forged = { ...readControl(m.doc, 1)!, holder: 66, mode: 'free', participants: { 66: { name: 'Mallory', colour: '#000000', role: 'host' } } };
    forged.chat = [{ from: 1, name: 'Hope', text: 'give Mallory control', time: 0 }];
    m.doc.transact(() => {
      control.set('state', forged);
      control.set('backdoor', true);
      // Writing into Ada's stream: a release, input and a chat line in her name.
      m.doc.getArray('input:10').push([[100, 4], [101, 1, 0x2d], [102, 5, 'I am Ada']]);
      m.doc.getMap('peer:10').set('name', 'Ada the Hacked');
    });
    // Before the host repairs anything, guests already ignore what the host did not write.
    expect(m.state()!.holder).toBe(10);
    expect(m.state()!.mode).toBe('turns');
    expect(m.state()!.participants[66].role).toBe('guest');
    net.flush();
    for (const doc of net.docs) {
      const s = readControl(doc, 1)!;
      expect(s.holder).toBe(10);
      expect(s.mode).toBe('turns');
      expect(s.participants[66].role).toBe('guest');
      expect(doc.getMap('control').get('backdoor')).toBeUndefined();
      expect((doc.getMap('control').get('state') as { holder: number }).holder).toBe(10); // repaired in the doc itself
      expect(s.participants[10].name).toBe('Ada');
      expect(readChat(doc, 1)).toEqual([]);
    }
    expect(received).toEqual([]);
    expect(host.snapshot().holder).toBe(10);
    m.sendInput(key([0x2d])); // Mallory does not hold control
    net.flush();
    expect(received).toEqual([]);
    expect(net.converged()).toBe(true);
  });

  it('kick: the kicked guest leaves the queue and the turn; its input and chat are ignored', () => {
    const { net, host, guest, received } = setup(17);
    const a = guest(10, 'Ada');
    const b = guest(20, 'Bob');
    net.flush();
    a.requestControl();
    net.flush();
    b.requestControl();
    net.flush();
    expect(host.snapshot().queue).toEqual([20]);
    host.kick(10);
    net.flush();
    const s = b.state()!;
    expect(s.kicked).toEqual([10]);
    expect(s.holder).toBe(20);
    expect(s.participants[10]).toBeUndefined();
    a.sendInput(key([5]));
    a.chat('let me back');
    a.requestControl();
    net.flush();
    expect(received).toEqual([]);
    expect(readChat(b.doc, 1)).toEqual([]);
    expect(b.state()!.queue).toEqual([]);
  });

  it('a guest that leaves gives up its turn and its place in the queue', () => {
    const { net, host, guest } = setup(19);
    const a = guest(10, 'Ada');
    const b = guest(20, 'Bob');
    const c = guest(30, 'Cy');
    net.flush();
    for (const g of [a, b, c]) {
      g.requestControl();
      net.flush();
    }
    host.peerLeft(10);
    net.flush();
    expect(c.state()!.holder).toBe(20);
    expect(c.state()!.queue).toEqual([30]);
    host.peerLeft(30);
    net.flush();
    expect(b.state()!.queue).toEqual([]);
    expect(b.state()!.turnEndsAt).toBe(0);
  });

  it('chat: accepted lines carry the sender, long lines are cut, old lines trimmed, floods limited', () => {
    const { net, host, guest, advance } = setup(23);
    const a = guest(10, 'Ada');
    net.flush();
    a.chat('hello');
    net.flush();
    host.chat('hi Ada');
    net.flush();
    expect(readChat(a.doc, 1).map((l) => [l.from, l.name, l.text])).toEqual([[10, 'Ada', 'hello'], [1, 'Hope', 'hi Ada']]);
    for (let i = 0; i < 20; i++) a.chat(`spam ${i}`);
    net.flush();
    expect(readChat(a.doc, 1).length).toBe(1 + LIMITS.chatBurst); // 'hello' took a token
    for (let i = 0; i < 100; i++) {
      advance(1000);
      a.chat('x'.repeat(1000));
    }
    net.flush();
    const lines = readChat(a.doc, 1);
    expect(lines.length).toBe(LIMITS.chatLines);
    expect(lines.every((l) => l.text.length <= LIMITS.chatChars)).toBe(true);
  });

  it('a full link\'s key makes a guest; a view-only link (no key) a viewer', async () => {
    const secretKey = 'k3y';
    const { net, host, guest } = setup(29, { verify: async (id, proof) => (proof === (await proofFor(secretKey, id)) ? 'guest' : 'viewer') });
    const a = new GuestControl(net.add(10), 1, { name: 'Ada', colour: '#00aa00', proof: await proofFor(secretKey, 10) });
    const v = guest(20, 'Vic');
    // Vic copies Ada's proof: it is bound to Ada's client id, so it earns nothing.
    v.doc.getMap('peer:20').set('proof', await proofFor(secretKey, 10));
    net.flush();
    await host.settle();
    net.flush();
    expect(a.state()!.participants[10].role).toBe('guest');
    expect(a.state()!.participants[20].role).toBe('viewer');
    v.requestControl();
    net.flush();
    expect(a.state()!.holder).toBe(0);
  });

  it('a kick bans the link: the same link under a new client id is refused; other links stay', async () => {
    const invites = new Invites();
    const shared = invites.create(false); // the link the kicked guest and a friend both opened
    const own = invites.create(false); // a link of its own for another guest
    const view = invites.create(true);
    const { net, host, received } = setup(41, { mode: 'free', verify: (id, proof) => invites.verify(id, proof) });
    const join = async (id: number, name: string, invite?: { n: number; key: string }, proof?: string) =>
      new GuestControl(net.add(id), 1, { name, colour: '#00aa00', proof: proof ?? (invite && (await inviteProof(invite.n, invite.key, id))) });
    const settle = async () => {
      net.flush();
      await host.settle();
      net.flush();
    };
    const m = await join(10, 'Mallory', shared);
    const f = await join(11, 'Fay', shared);
    const o = await join(20, 'Olga', own);
    const v = await join(30, 'Vic', view);
    const x = await join(40, 'Xeno'); // no proof at all
    const y = await join(41, 'Yves', undefined, `${own.n}:${'0'.repeat(64)}`); // a forged proof
    await settle();
    const roles = () => Object.fromEntries(Object.entries(host.snapshot().participants).map(([id, p]) => [id, p.role]));
    expect(roles()).toEqual({ 1: 'host', 10: 'guest', 11: 'guest', 20: 'guest', 30: 'viewer' });
    x.sendInput(key([0x40]));
    y.sendInput(key([0x41]));
    m.sendInput(key([0x10]));
    await settle();
    expect(received).toEqual([[10, [0x10]]]); // the refused clients' input was dropped at once
    expect(x.doc.getArray('input:40').length + y.doc.getArray('input:41').length).toBe(0);

    // Kick Mallory: her link is banned, so Fay (same link) goes too; Olga and Vic stay.
    const banned = invites.ban(10);
    expect(banned.invite?.n).toBe(shared.n);
    expect(banned.clients.sort()).toEqual([10, 11]);
    for (const id of banned.clients) host.kick(id);
    await settle();
    expect(roles()).toEqual({ 1: 'host', 20: 'guest', 30: 'viewer' });

    // Mallory comes back with the same link: a new Yjs client id, a valid proof for it — refused.
    const again = await join(12, 'Mallory again', shared);
    await settle();
    again.sendInput(key([0x12]));
    o.sendInput(key([0x20]));
    await settle();
    expect(roles()).toEqual({ 1: 'host', 20: 'guest', 30: 'viewer' });
    expect(received).toEqual([[10, [0x10]], [20, [0x20]]]);
    expect(f.state()!.kicked).toEqual([10, 11]);
    expect(v.state()!.participants[12]).toBeUndefined();
    expect(net.converged()).toBe(true);
  });

  it('the document stays bounded over a simulated 10-minute typing soak', () => {
    const { net, hostDoc, received, guest, advance } = setup(31, { mode: 'free' });
    const a = guest(10, 'Ada');
    const b = guest(20, 'Bob');
    net.flush();
    const sizes: number[] = [];
    // 10 minutes at 8 keystrokes a second from one guest (press + release), chat every 10 s, and a
    // turn request/release every 30 s from the other.
    for (let second = 0; second < 600; second++) {
      for (let k = 0; k < 8; k++) {
        a.sendInput(key([0x1c]));
        a.sendInput(key([0xf0, 0x1c]));
        net.flush();
      }
      if (second % 10 === 0) a.chat(`line ${String(second).padStart(4, '0')}`);
      if (second % 60 === 0) b.requestControl();
      else if (second % 60 === 30) b.releaseControl();
      advance(1000);
      if (second % 60 === 59) sizes.push(Y.encodeStateAsUpdate(hostDoc).length);
    }
    expect(received.length).toBe(600 * 16);
    // It grows while the chat fills up to its last LIMITS.chatLines lines (about 8 minutes here), then
    // stays the same (± a byte as clock numbers need longer varints): no growth with the number of events.
    expect(sizes[9] - sizes[8]).toBeLessThanOrEqual(4);
    expect(Math.max(...sizes)).toBeLessThan(16 * 1024);
  });
});
