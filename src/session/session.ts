import SimplePeer, { type SignalData } from 'simple-peer/simplepeer.min.js';
import { WebrtcProvider } from 'y-webrtc';
import * as Y from 'yjs';
import { GuestControl, HostControl, mayType, proofFor, type ControlMode, type ControlState, type InputEvent, type Role } from './control.js';
import { encode, KeyframeReason, Msg } from './protocol.js';
import { ScreenHost, ScreenView, type ScreenChannel, type ScreenSource } from './screen.js';

/**
 * The transport of a session (docs/PROTOCOL.md, "Sessions"): one Yjs document over y-webrtc, signalled
 * through our relay's `/signal` and encrypted with the room secret (y-webrtc's password); plus, per guest,
 * one simple-peer data channel from the host for the screen. That channel is signalled through the Yjs
 * awareness (no extra server): the guest publishes `screenOffer: { nonce, sdp }` in its awareness state,
 * the host answers in its own under `screenAnswers[guestClientID]`. Offers and answers carry every ICE
 * candidate (trickle off), so one state each is enough and a missed intermediate update loses nothing.
 */

export interface SessionLink {
  room: string;
  secret: string;
  host: number;
  /** The full-control key; absent in a view-only link. */
  key?: string;
  /** The signalling server, when not this page's own relay. */
  signal?: string;
}

export interface Presence {
  id: number;
  name: string;
  colour: string;
  role: Role | 'unknown';
  /** Pointer over the screen, 0..1 in each axis, or undefined when off it. */
  pointer?: { x: number; y: number };
}

export interface SessionState {
  role: Role;
  id: number;
  mode: ControlMode | undefined;
  holder: number;
  queue: number[];
  turnEndsAt: number;
  mayType: boolean;
  peers: Presence[];
  chat: ControlState['chat'];
  /** Guests with an open screen channel (host), or whether ours is open (guest). */
  screenPeers: number;
  kicked: boolean;
}

const SCREEN_RTC: RTCConfiguration = { iceServers: [] };
const COLOURS = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6', '#9a6324'];

function randomToken(bytes: number): string {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  return [...b].map((v) => v.toString(36).padStart(2, '0')).join('').slice(0, bytes * 2);
}

export function defaultSignalUrl(): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/signal`;
}

/** `#session=ROOM&secret=S&host=ID[&key=K][&signal=URL]` on the page's address. */
export function formatLink(base: string, link: SessionLink): string {
  const params = new URLSearchParams({ session: link.room, secret: link.secret, host: String(link.host) });
  if (link.key) params.set('key', link.key);
  if (link.signal) params.set('signal', link.signal);
  return `${base.split('#')[0]}#${params}`;
}

export function parseLink(link: string): SessionLink | undefined {
  const hash = link.includes('#') ? link.slice(link.indexOf('#') + 1) : link;
  const p = new URLSearchParams(hash);
  const room = p.get('session');
  const secret = p.get('secret');
  const host = Number(p.get('host'));
  if (!room || !/^[A-Za-z0-9_-]{8,64}$/.test(room) || !secret || !Number.isInteger(host) || host <= 0) return undefined;
  return { room, secret, host, key: p.get('key') ?? undefined, signal: p.get('signal') ?? undefined };
}

function presence(awareness: WebrtcProvider['awareness'], roleOf: (id: number) => Role | 'unknown'): Presence[] {
  const out: Presence[] = [];
  for (const [id, s] of awareness.getStates()) {
    const state = s as { name?: unknown; colour?: unknown; pointer?: { x?: unknown; y?: unknown } };
    const x = Number(state.pointer?.x);
    const y = Number(state.pointer?.y);
    out.push({
      id,
      name: typeof state.name === 'string' ? state.name.slice(0, 32) : '?',
      colour: typeof state.colour === 'string' && /^#[0-9a-f]{6}$/.test(state.colour) ? state.colour : '#888888',
      role: roleOf(id),
      pointer: Number.isFinite(x) && Number.isFinite(y) && x >= 0 && x <= 1 && y >= 0 && y <= 1 ? { x, y } : undefined,
    });
  }
  return out;
}

/** A data channel for the screen host: simple-peer, with its buffered bytes for backpressure. */
class PeerChannel implements ScreenChannel {
  constructor(private readonly peer: SimplePeer) {}
  get bufferedAmount(): number {
    return this.peer.bufferSize;
  }
  send(data: Uint8Array): void {
    if (this.peer.connected) this.peer.send(data);
  }
}

export interface HostSessionOptions {
  source: ScreenSource;
  /** Guests' input the rules allow, in order. */
  onInput: (event: InputEvent, from: number) => void;
  mode?: ControlMode;
  turnMs?: number;
  name?: string;
  colour?: string;
  signalUrl?: string;
  /** The address links point to (default this page's). */
  baseUrl?: string;
  /** Screen samples a second (default 30). */
  fps?: number;
  onChange?: () => void;
}

export class HostSession {
  readonly doc = new Y.Doc();
  readonly link: string;
  readonly viewLink: string;
  readonly control: HostControl;
  readonly screen: ScreenHost;
  private readonly provider: WebrtcProvider;
  private readonly peers = new Map<number, { nonce: string; peer: SimplePeer }>();
  private readonly lastOffer = new Map<number, number>();
  private recheck: ReturnType<typeof setTimeout> | undefined;
  private readonly answers: Record<string, { nonce: string; sdp: SignalData }> = {};
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private closed = false;

  constructor(private readonly options: HostSessionOptions) {
    const room = randomToken(12);
    const secret = randomToken(16);
    const key = randomToken(16);
    const signal = options.signalUrl;
    const base = options.baseUrl ?? location.href;
    this.link = formatLink(base, { room, secret, host: this.doc.clientID, key, signal });
    this.viewLink = formatLink(base, { room, secret, host: this.doc.clientID, signal });
    this.control = new HostControl(this.doc, {
      name: options.name ?? 'host',
      colour: options.colour ?? COLOURS[0],
      mode: options.mode,
      turnMs: options.turnMs,
      verify: async (id, proof) => (proof === (await proofFor(key, id)) ? 'guest' : 'viewer'),
      onInput: (from, event) => options.onInput(event, from),
      onChange: () => this.onControlChange(),
    });
    this.screen = new ScreenHost(options.source);
    this.provider = new WebrtcProvider(room, this.doc, { signaling: [signal ?? defaultSignalUrl()], password: secret, peerOpts: { config: SCREEN_RTC } });
    this.provider.awareness.setLocalState({ name: options.name ?? 'host', colour: options.colour ?? COLOURS[0], screenAnswers: this.answers });
    this.provider.awareness.on('change', this.onAwareness);
    this.timers.push(setInterval(() => this.control.tick(), 250));
    this.timers.push(setInterval(() => this.screen.tick(), 1000 / (options.fps ?? 30)));
  }

  setMode(mode: ControlMode): void {
    this.control.setMode(mode);
  }

  kick(id: number): void {
    this.control.kick(id);
    this.dropPeer(id);
  }

  chat(text: string): void {
    this.control.chat(text);
  }

  setPointer(pointer: { x: number; y: number } | undefined): void {
    this.provider.awareness.setLocalStateField('pointer', pointer ?? null);
  }

  state(): SessionState {
    const s = this.control.snapshot();
    return {
      role: 'host',
      id: this.doc.clientID,
      mode: s.mode,
      holder: s.holder,
      queue: s.queue,
      turnEndsAt: s.turnEndsAt,
      mayType: true,
      peers: presence(this.provider.awareness, (id) => s.participants[id]?.role ?? 'unknown'),
      chat: s.chat,
      screenPeers: this.screen.peerIds().length,
      kicked: false,
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    clearTimeout(this.recheck);
    for (const id of [...this.peers.keys()]) this.dropPeer(id);
    this.control.destroy();
    this.provider.destroy();
    this.doc.destroy();
  }

  private onControlChange(): void {
    if (!this.control) return; // called from HostControl's constructor, before it is ours
    // A kicked guest loses its screen too.
    for (const id of this.control.snapshot().kicked) if (this.peers.has(id)) this.dropPeer(id);
    this.options.onChange?.();
  }

  private readonly onAwareness = ({ added, removed }: { added: number[]; updated: number[]; removed: number[] }): void => {
    for (const id of removed) {
      this.control.peerLeft(id);
      this.dropPeer(id);
    }
    for (const id of added) this.control.peerPresent(id);
    const kicked = this.control.snapshot().kicked;
    for (const [id, raw] of this.provider.awareness.getStates()) {
      if (id === this.doc.clientID || kicked.includes(id)) continue;
      const offer = (raw as { screenOffer?: { nonce?: unknown; sdp?: unknown } }).screenOffer;
      if (!offer || typeof offer.nonce !== 'string' || !offer.sdp || typeof offer.sdp !== 'object') continue;
      if (this.peers.get(id)?.nonce === offer.nonce) continue;
      // A guest reconnects at most once a second: a flood of fresh offers costs the host nothing more.
      const now = Date.now();
      if (now - (this.lastOffer.get(id) ?? -Infinity) < 1000) {
        this.recheck ??= setTimeout(() => {
          this.recheck = undefined;
          if (!this.closed) this.onAwareness({ added: [], updated: [], removed: [] });
        }, 1000);
        continue;
      }
      this.lastOffer.set(id, now);
      this.acceptOffer(id, offer.nonce, offer.sdp as SignalData);
    }
    this.options.onChange?.();
  };

  private acceptOffer(id: number, nonce: string, sdp: SignalData): void {
    this.dropPeer(id);
    const peer = new SimplePeer({ initiator: false, trickle: false, config: SCREEN_RTC });
    this.peers.set(id, { nonce, peer });
    const key = String(id);
    peer.on('signal', (answer) => {
      this.answers[key] = { nonce, sdp: answer };
      this.provider.awareness.setLocalStateField('screenAnswers', { ...this.answers });
    });
    peer.on('connect', () => {
      this.screen.addPeer(key, new PeerChannel(peer));
      this.options.onChange?.();
    });
    peer.on('data', (data) => this.screen.receive(key, data));
    const gone = () => {
      if (this.peers.get(id)?.peer === peer) this.dropPeer(id);
    };
    peer.on('close', gone);
    peer.on('error', gone);
    try {
      peer.signal(sdp);
    } catch {
      gone();
    }
  }

  private dropPeer(id: number): void {
    const entry = this.peers.get(id);
    this.peers.delete(id);
    this.screen.removePeer(String(id));
    if (this.answers[String(id)]) {
      delete this.answers[String(id)];
      if (!this.closed) this.provider.awareness.setLocalStateField('screenAnswers', { ...this.answers });
    }
    entry?.peer.destroy();
  }
}

export interface JoinOptions {
  name?: string;
  colour?: string;
  signalUrl?: string;
  /** A frame is complete: draw `rects` of view.pixels. */
  onFrame?: (view: ScreenView, rects: Array<{ x: number; y: number; w: number; h: number }>, keyframe: boolean) => void;
  onChange?: () => void;
}

export class GuestSession {
  readonly doc = new Y.Doc();
  readonly view: ScreenView;
  control: GuestControl | undefined;
  private readonly provider: WebrtcProvider;
  private peer: SimplePeer | undefined;
  private nonce = '';
  private connected = false;
  private closed = false;
  private retry: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly link: SessionLink,
    private readonly options: JoinOptions = {},
  ) {
    this.view = new ScreenView((data) => this.peer?.connected && this.peer.send(data), options.onFrame);
    this.provider = new WebrtcProvider(link.room, this.doc, { signaling: [options.signalUrl ?? link.signal ?? defaultSignalUrl()], password: link.secret, peerOpts: { config: SCREEN_RTC } });
    const name = options.name ?? `guest ${this.doc.clientID % 1000}`;
    const colour = options.colour ?? COLOURS[1 + (this.doc.clientID % (COLOURS.length - 1))];
    this.provider.awareness.setLocalState({ name, colour });
    this.provider.awareness.on('change', this.onAwareness);
    this.doc.on('update', () => this.options.onChange?.());
    void (link.key ? proofFor(link.key, this.doc.clientID) : Promise.resolve(undefined)).then((proof) => {
      if (this.closed) return;
      this.control = new GuestControl(this.doc, link.host, { name, colour, proof });
      this.options.onChange?.();
    });
    this.offer();
  }

  requestControl(): void {
    this.control?.requestControl();
  }

  releaseControl(): void {
    this.control?.releaseControl();
  }

  /** Keys and mouse go to the host through the document; it drops them unless this guest may type. */
  sendInput(event: InputEvent): void {
    this.control?.sendInput(event);
  }

  chat(text: string): void {
    this.control?.chat(text);
  }

  setPointer(pointer: { x: number; y: number } | undefined): void {
    this.provider.awareness.setLocalStateField('pointer', pointer ?? null);
  }

  screenText(): string {
    return this.view.text();
  }

  state(): SessionState {
    const s = this.control?.state();
    const role = s?.participants[this.doc.clientID]?.role ?? (this.link.key ? 'guest' : 'viewer');
    return {
      role,
      id: this.doc.clientID,
      mode: s?.mode,
      holder: s?.holder ?? 0,
      queue: s?.queue ?? [],
      turnEndsAt: s?.turnEndsAt ?? 0,
      mayType: !!s && mayType(s, this.doc.clientID),
      peers: presence(this.provider.awareness, (id) => s?.participants[id]?.role ?? 'unknown'),
      chat: s?.chat ?? [],
      screenPeers: this.connected ? 1 : 0,
      kicked: !!s?.kicked.includes(this.doc.clientID),
    };
  }

  /** Round trip to the host over the screen channel, in ms (for the latency benchmark). */
  ping(): Promise<number> {
    return new Promise((resolve, reject) => {
      const peer = this.peer;
      if (!peer?.connected) return reject(new Error('no screen channel'));
      const id = (Math.random() * 0xffffffff) >>> 0;
      const onData = (data: Uint8Array) => {
        if (data[0] !== Msg.Pong || data.length < 5 || new DataView(data.buffer, data.byteOffset).getUint32(1, true) !== id) return;
        peer.removeListener('data', onData);
        resolve(performance.now() - start);
      };
      const start = performance.now();
      peer.on('data', onData);
      peer.send(encode({ type: Msg.Ping, id, time: start }));
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retry);
    this.peer?.destroy();
    this.provider.destroy();
    this.doc.destroy();
  }

  /** Open (or reopen) the screen channel: an offer in our awareness, the host's answer in its. */
  private offer(): void {
    if (this.closed) return;
    this.peer?.destroy();
    this.connected = false;
    const nonce = randomToken(8);
    this.nonce = nonce;
    const peer = new SimplePeer({ initiator: true, trickle: false, config: SCREEN_RTC });
    this.peer = peer;
    peer.on('signal', (sdp) => this.provider.awareness.setLocalStateField('screenOffer', { nonce, sdp }));
    peer.on('connect', () => {
      this.connected = true;
      this.options.onChange?.();
    });
    peer.on('data', (data) => this.view.receive(data));
    const again = () => {
      if (this.peer !== peer || this.closed) return;
      this.connected = false;
      this.view.synced = false;
      if (this.control?.state()?.kicked.includes(this.doc.clientID)) return;
      this.retry = setTimeout(() => this.offer(), 1000);
    };
    peer.on('close', again);
    peer.on('error', again);
  }

  private readonly onAwareness = (): void => {
    const host = this.provider.awareness.getStates().get(this.link.host) as { screenAnswers?: Record<string, { nonce?: unknown; sdp?: unknown }> } | undefined;
    const answer = host?.screenAnswers?.[String(this.doc.clientID)];
    if (answer && answer.nonce === this.nonce && this.peer && !this.connected && answer.sdp && typeof answer.sdp === 'object') {
      this.nonce = ''; // use an answer once
      try {
        this.peer.signal(answer.sdp as SignalData);
      } catch {
        this.view.requestKeyframe(KeyframeReason.Join);
      }
    }
    this.options.onChange?.();
  };
}

export function hostSession(options: HostSessionOptions): HostSession {
  return new HostSession(options);
}

export function joinSession(link: string, options: JoinOptions = {}): GuestSession {
  const parsed = parseLink(link);
  if (!parsed) throw new Error('not a co86 session link');
  return new GuestSession(parsed, options);
}
