import SimplePeer, { type SignalData } from 'simple-peer/simplepeer.min.js';
import { WebrtcProvider } from 'y-webrtc';
import * as Y from 'yjs';
import { GuestControl, HostControl, LIMITS, mayType, type ControlMode, type ControlState, type InputEvent, type Role } from './control.js';
import { inviteProof, Invites, randomToken, type Invite } from './invites.js';
import { MouseBatch } from './mouse.js';
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
  /** The invite (src/session/invites.ts) and its key; `view` marks a view-only invite. */
  invite?: number;
  key?: string;
  view?: boolean;
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
  /** Everyone in the session as the host counts them (host, guests and viewers; kicked and gone ones not). */
  participants: number;
  chat: ControlState['chat'];
  /** Guests with an open screen channel (host), or whether ours is open (guest). */
  screenPeers: number;
  kicked: boolean;
  /** The host admitted us (checked our link's proof); a banned or unknown link never is. */
  admitted: boolean;
}

const SCREEN_RTC: RTCConfiguration = { iceServers: [] };
const COLOURS = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6', '#9a6324'];

export function defaultSignalUrl(): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/signal`;
}

/** `#session=ROOM&secret=S&host=ID[&invite=N&key=K][&view=1][&signal=URL]` on the page's address. */
export function formatLink(base: string, link: SessionLink): string {
  const params = new URLSearchParams({ session: link.room, secret: link.secret, host: String(link.host) });
  if (link.invite !== undefined) params.set('invite', String(link.invite));
  if (link.key) params.set('key', link.key);
  if (link.view) params.set('view', '1');
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
  const invite = p.has('invite') ? Number(p.get('invite')) : undefined;
  if (invite !== undefined && !(Number.isInteger(invite) && invite > 0)) return undefined;
  return { room, secret, host, invite, key: p.get('key') ?? undefined, view: p.get('view') === '1' || undefined, signal: p.get('signal') ?? undefined };
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
  readonly control: HostControl;
  readonly screen: ScreenHost;
  private readonly provider: WebrtcProvider;
  private readonly peers = new Map<number, { nonce: string; peer: SimplePeer }>();
  private readonly lastOffer = new Map<number, number>();
  private recheck: ReturnType<typeof setTimeout> | undefined;
  private readonly answers: Record<string, { nonce: string; sdp: SignalData }> = {};
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private closed = false;
  private readonly invites = new Invites();
  /** The invites the Share panel's links stand for now (a kick that bans one makes a new one). */
  private fullInvite: Invite;
  private viewInvite: Invite;
  private readonly linkBase: Omit<SessionLink, 'invite' | 'key' | 'view'>;
  private readonly base: string;

  constructor(private readonly options: HostSessionOptions) {
    const room = randomToken(12);
    const secret = randomToken(16);
    const signal = options.signalUrl;
    this.base = options.baseUrl ?? location.href;
    this.linkBase = { room, secret, host: this.doc.clientID, signal };
    this.fullInvite = this.invites.create(false);
    this.viewInvite = this.invites.create(true);
    this.control = new HostControl(this.doc, {
      name: options.name ?? 'host',
      colour: options.colour ?? COLOURS[0],
      mode: options.mode,
      turnMs: options.turnMs,
      verify: (id, proof) => this.invites.verify(id, proof),
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

  /** The join link (full control when the rules allow). */
  get link(): string {
    return this.linkFor(this.fullInvite);
  }

  /** The view-only link. */
  get viewLink(): string {
    return this.linkFor(this.viewInvite);
  }

  /** A link of its own for one person (so a kick bans only theirs). */
  newLink(view = false): string {
    return this.linkFor(this.invites.create(view));
  }

  setMode(mode: ControlMode): void {
    this.control.setMode(mode);
  }

  /**
   * Remove a guest and ban the link it joined with: everyone admitted with that link leaves too, and the
   * link admits nobody again, under any client id. If it was one of the panel's links, a new one replaces it.
   */
  kick(id: number): void {
    const { invite, clients } = this.invites.ban(id);
    for (const client of clients) {
      this.control.kick(client);
      this.dropPeer(client);
    }
    if (invite === this.fullInvite) this.fullInvite = this.invites.create(false);
    if (invite === this.viewInvite) this.viewInvite = this.invites.create(true);
    this.options.onChange?.();
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
      participants: Object.keys(s.participants).length,
      chat: s.chat,
      screenPeers: this.screen.peerIds().length,
      kicked: false,
      admitted: true,
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

  private linkFor(invite: Invite): string {
    return formatLink(this.base, { ...this.linkBase, invite: invite.n, key: invite.key, view: invite.view || undefined });
  }

  private onControlChange(): void {
    if (!this.control || !this.provider) return; // called from HostControl's constructor, before it is ours
    // A kicked guest loses its screen too; one just admitted (its proof checked) gets its answer.
    for (const id of this.control.snapshot().kicked) if (this.peers.has(id)) this.dropPeer(id);
    this.answerOffers();
    this.options.onChange?.();
  }

  private readonly onAwareness = ({ added, removed }: { added: number[]; updated: number[]; removed: number[] }): void => {
    for (const id of removed) {
      this.control.peerLeft(id);
      this.dropPeer(id);
    }
    for (const id of added) this.control.peerPresent(id);
    this.answerOffers();
    this.options.onChange?.();
  };

  /** Answer the screen offers of admitted participants only (not refused, kicked or unchecked clients). */
  private answerOffers(): void {
    const participants = this.control.snapshot().participants;
    for (const [id, raw] of this.provider.awareness.getStates()) {
      if (id === this.doc.clientID || !participants[id]) continue;
      const offer = (raw as { screenOffer?: { nonce?: unknown; sdp?: unknown } }).screenOffer;
      if (!offer || typeof offer.nonce !== 'string' || !offer.sdp || typeof offer.sdp !== 'object') continue;
      if (this.peers.get(id)?.nonce === offer.nonce) continue;
      // A guest reconnects at most once a second: a flood of fresh offers costs the host nothing more.
      const now = Date.now();
      if (now - (this.lastOffer.get(id) ?? -Infinity) < 1000) {
        this.recheck ??= setTimeout(() => {
          this.recheck = undefined;
          if (!this.closed) this.answerOffers();
        }, 1000);
        continue;
      }
      this.lastOffer.set(id, now);
      this.acceptOffer(id, offer.nonce, offer.sdp as SignalData);
    }
  }

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
  private readonly mouse = new MouseBatch((event) => this.control?.sendInput(event));
  private mouseTimer: ReturnType<typeof setTimeout> | undefined;

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
    void (link.key && link.invite ? inviteProof(link.invite, link.key, this.doc.clientID) : Promise.resolve(undefined)).then((proof) => {
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

  /**
   * The VM's mouse (pointer lock on the guest's screen): relative motion in DOM directions, wheel steps,
   * buttons. Batched (MouseBatch) and sent like keys; the host applies it only while this guest may type.
   */
  sendMouse(dx: number, dy: number, dz: number, buttons: number): void {
    if (this.mouse.move(dx, dy, dz, buttons) && !this.mouseTimer) {
      this.mouseTimer = setTimeout(() => {
        this.mouseTimer = undefined;
        this.mouse.flush();
      }, LIMITS.mouseBatchMs);
    }
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

  /** The decoded text cells (char | attribute << 8) and cursor; undefined in graphics modes. */
  textCells(): { cols: number; rows: number; cells: Uint16Array; cursor: ScreenView['cursor'] } | undefined {
    const mode = this.view.mode;
    return mode?.text ? { cols: mode.cols, rows: mode.rows, cells: this.view.cells, cursor: this.view.cursor } : undefined;
  }

  state(): SessionState {
    const s = this.control?.state();
    const role = s?.participants[this.doc.clientID]?.role ?? (this.link.view ? 'viewer' : 'guest');
    return {
      role,
      id: this.doc.clientID,
      mode: s?.mode,
      holder: s?.holder ?? 0,
      queue: s?.queue ?? [],
      turnEndsAt: s?.turnEndsAt ?? 0,
      mayType: !!s && mayType(s, this.doc.clientID),
      peers: presence(this.provider.awareness, (id) => s?.participants[id]?.role ?? 'unknown'),
      participants: s ? Object.keys(s.participants).length : 0,
      chat: s?.chat ?? [],
      screenPeers: this.connected ? 1 : 0,
      kicked: !!s?.kicked.includes(this.doc.clientID),
      admitted: !!s?.participants[this.doc.clientID],
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
    clearTimeout(this.mouseTimer);
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
