import * as Y from 'yjs';
import type { Item } from 'yjs';

/**
 * A session's control state in one Yjs document (docs/PROTOCOL.md, "Sessions").
 *
 * Who writes what:
 *   `control` (Y.Map)       the host only, one key `state`: mode, holder, queue, turn timer,
 *                           participants, kicked, and the last chat lines.
 *   `peer:<id>` (Y.Map)     guest <id> only: name, colour, proof (written once).
 *   `input:<id>` (Y.Array)  guest <id> appends events — keys, mouse, control requests and releases,
 *                           chat — in order; the host consumes and deletes them.
 * `<id>` is the writer's Yjs clientID. Every reader checks authorship: an entry or item in someone's area
 * counts only if that someone's client created it (Item.id.client). The host also rewrites anything in
 * `control` it did not write, so a guest writing control fields gains nothing — and guests ignore such
 * content even before the host repairs it. Top-level types are used for the areas because they cannot be
 * replaced, only edited.
 *
 * Why one key and one stream: Yjs keeps a tombstone for every deleted item, and merges tombstones only
 * when they are consecutive in their writer's clock. A host writing only `state` and a guest writing only
 * to its stream leave one merged tombstone each however long the session runs, so the document stays
 * bounded (control.test.ts measures it over a 10-minute soak).
 */

export type ControlMode = 'host-only' | 'turns' | 'free';
export type Role = 'host' | 'guest' | 'viewer';
export const CONTROL_MODES: readonly ControlMode[] = ['host-only', 'turns', 'free'];

export interface Participant {
  name: string;
  colour: string;
  role: Role;
}

export interface ChatLine {
  from: number;
  name: string;
  text: string;
  time: number;
}

export interface ControlState {
  host: number;
  mode: ControlMode;
  /** clientID holding the keyboard in `turns` mode, 0 for none. */
  holder: number;
  queue: number[];
  /** Host wall-clock ms when the current turn ends; 0 while nobody waits (the timer is stopped). */
  turnEndsAt: number;
  turnMs: number;
  participants: Record<string, Participant>;
  kicked: number[];
  chat: ChatLine[];
}

/**
 * An input event: PS/2 set-2 scancode bytes, or relative mouse motion — `dx` right, `dy` down (DOM
 * movementX/Y), `dz` wheel steps (DOM deltaY's sign), `buttons` bit 0 left, 1 right, 2 middle.
 */
export type InputEvent = { kind: 'keys'; codes: number[] } | { kind: 'mouse'; dx: number; dy: number; dz: number; buttons: number };

/** What a guest's stream carries. */
export type GuestEvent = InputEvent | { kind: 'request' } | { kind: 'release' } | { kind: 'chat'; text: string };

export const LIMITS = {
  nameChars: 32,
  chatChars: 200,
  chatLines: 50,
  /** Scancode bytes per key event. */
  codesPerEvent: 8,
  /** Key events a guest may send per second, and the burst (token bucket). */
  inputPerSecond: 60,
  inputBurst: 120,
  /**
   * Mouse events per second and burst: a bucket of their own, so moving the mouse never costs keys.
   * Guests batch motion to `mouseBatchMs`, well inside it.
   */
  mousePerSecond: 60,
  mouseBurst: 60,
  mouseBatchMs: 33,
  /** Chat lines per second per guest, and the burst. */
  chatPerSecond: 1,
  chatBurst: 5,
  /** Events left in a stream the host cannot consume yet (proof being checked) before it drops them. */
  backlog: 240,
  mouseDelta: 1024,
  wheelSteps: 8,
  minTurnMs: 1000,
  maxTurnMs: 3_600_000,
};

/** Event kinds in a stored tuple `[seq, kind, ...]`. */
const KEYS = 1;
const MOUSE = 2;
const REQUEST = 3;
const RELEASE = 4;
const CHAT = 5;

export function encodeEvent(seq: number, event: GuestEvent): unknown[] {
  switch (event.kind) {
    case 'keys': return [seq, KEYS, ...event.codes];
    case 'mouse': return [seq, MOUSE, event.dx, event.dy, event.buttons, event.dz];
    case 'request': return [seq, REQUEST];
    case 'release': return [seq, RELEASE];
    case 'chat': return [seq, CHAT, event.text];
  }
}

/** The event in a stored tuple, or undefined when it is malformed. */
export function decodeEvent(raw: unknown): { seq: number; event: GuestEvent } | undefined {
  if (!Array.isArray(raw) || raw.length < 2 || !Number.isInteger(raw[0]) || !Number.isInteger(raw[1])) return undefined;
  const [seq, kind, ...rest] = raw as [number, number, ...unknown[]];
  const ints = rest.every((v) => Number.isInteger(v));
  const n = rest as number[];
  switch (kind) {
    case KEYS:
      if (!ints || n.length < 1 || n.length > LIMITS.codesPerEvent || n.some((c) => c < 0 || c > 0xff)) return undefined;
      return { seq, event: { kind: 'keys', codes: n } };
    case MOUSE: {
      const [dx, dy, buttons, dz] = n;
      if (!ints || n.length !== 4 || Math.abs(dx) > LIMITS.mouseDelta || Math.abs(dy) > LIMITS.mouseDelta || Math.abs(dz) > LIMITS.wheelSteps || buttons < 0 || buttons > 7) return undefined;
      return { seq, event: { kind: 'mouse', dx, dy, dz, buttons } };
    }
    case REQUEST:
    case RELEASE:
      return rest.length ? undefined : { seq, event: { kind: kind === REQUEST ? 'request' : 'release' } };
    case CHAT:
      return rest.length === 1 && typeof rest[0] === 'string' ? { seq, event: { kind: 'chat', text: rest[0] } } : undefined;
  }
  return undefined;
}

const COLOUR = /^#[0-9a-f]{6}$/;

function cleanText(value: unknown, max: number): string | undefined {
  if (typeof value !== 'string') return undefined;
  // eslint-disable-next-line no-control-regex
  const text = value.replace(/[\u0000-\u001f\u007f]/g, ' ').trim().slice(0, max);
  return text || undefined;
}

/** The value of a map entry, but only when `author` wrote it. */
function authored(map: Y.Map<unknown>, key: string, author: number): unknown {
  const item = (map as unknown as { _map: Map<string, Item> })._map.get(key);
  if (!item || item.deleted || item.id.client !== author) return undefined;
  return map.get(key);
}

/** Each non-deleted element of an array with the client that inserted it. */
function* elements(array: Y.Array<unknown>): Generator<{ author: number; value: unknown }> {
  for (let item = array._start; item; item = item.right) {
    if (item.deleted || !item.countable) continue;
    for (const value of item.content.getContent()) yield { author: item.id.client, value };
  }
}

function isState(value: unknown): value is ControlState {
  if (!value || typeof value !== 'object') return false;
  const s = value as ControlState;
  return CONTROL_MODES.includes(s.mode) && Number.isInteger(s.holder) && Array.isArray(s.queue) && Number.isFinite(s.turnEndsAt) &&
    Number.isFinite(s.turnMs) && !!s.participants && typeof s.participants === 'object' && Array.isArray(s.kicked) && Array.isArray(s.chat);
}

/** The control state as a guest sees it: only what the host wrote counts (undefined until it has). */
export function readControl(doc: Y.Doc, host: number): ControlState | undefined {
  const value = authored(doc.getMap<unknown>('control'), 'state', host);
  return isState(value) && value.host === host ? value : undefined;
}

/** A guest's own side: requests, input and chat go into its own stream. */
export class GuestControl {
  readonly id: number;
  private readonly stream: Y.Array<unknown>;
  private seq = 0;
  private last: ControlState | undefined;

  constructor(
    readonly doc: Y.Doc,
    readonly host: number,
    profile: { name: string; colour: string; proof?: string },
  ) {
    this.id = doc.clientID;
    const peer = doc.getMap(`peer:${this.id}`);
    this.stream = doc.getArray(`input:${this.id}`);
    doc.transact(() => {
      peer.set('name', profile.name);
      peer.set('colour', profile.colour);
      if (profile.proof) peer.set('proof', profile.proof);
    });
    // Keep the last good state current, so a forged write never shows.
    doc.on('afterTransaction', () => this.state());
  }

  /** The host's state; while someone else's write hides it, the last good one. */
  state(): ControlState | undefined {
    this.last = readControl(this.doc, this.host) ?? this.last;
    return this.last;
  }

  /** Whether the host would accept this guest's input now. */
  mayType(): boolean {
    const s = this.state();
    return !!s && mayType(s, this.id);
  }

  requestControl(): void {
    this.send({ kind: 'request' });
  }

  releaseControl(): void {
    this.send({ kind: 'release' });
  }

  sendInput(event: InputEvent): void {
    this.send(event);
  }

  chat(text: string): void {
    this.send({ kind: 'chat', text: text.slice(0, LIMITS.chatChars) });
  }

  private send(event: GuestEvent): void {
    this.stream.push([encodeEvent(++this.seq, event)]);
  }
}

/** Whether `id` may type under state `s` (the host's own rule, also used by guests for their UI). */
export function mayType(s: ControlState, id: number): boolean {
  if (id === s.host) return true;
  const p = s.participants[id];
  if (!p || p.role !== 'guest' || s.kicked.includes(id)) return false;
  if (s.mode === 'free') return true;
  if (s.mode === 'turns') return s.holder === id;
  return false;
}

class Bucket {
  private tokens: number;
  private last: number;
  constructor(private readonly rate: number, private readonly burst: number, now: number) {
    this.tokens = burst;
    this.last = now;
  }
  take(now: number): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }
}

interface PeerRecord {
  lastSeq: number;
  /** The last name and colour the guest itself wrote (someone else's overwrite does not count). */
  name?: string;
  colour?: string;
  input: Bucket;
  mouse: Bucket;
  chat: Bucket;
  /** The proof last checked (undefined before the first check), and the role it earned once known. */
  proof?: string;
  proofSeen: boolean;
  role?: Role;
  /** The proof earned nothing (a banned or unknown link): not admitted, its input dropped at once. */
  refused?: boolean;
}

export interface HostOptions {
  name: string;
  colour: string;
  mode?: ControlMode;
  turnMs?: number;
  /**
   * The role a guest's proof earns ('guest' with a full link's key, 'viewer' with a view-only one), or
   * 'refused' (not admitted: a banned link, no valid proof). May be async (SubtleCrypto); the guest counts
   * as absent until it resolves, and a check that throws refuses. Without it every guest is a 'guest'.
   */
  verify?: (id: number, proof: string | undefined) => Role | 'refused' | Promise<Role | 'refused'>;
  /** Wall-clock ms (injectable for tests). */
  now?: () => number;
  /** An input event the rules allow, in order. */
  onInput?: (from: number, event: InputEvent) => void;
  /** The state changed (control or chat). */
  onChange?: () => void;
}

/** The authority: applies guests' requests by the rules and repairs anything else written into its fields. */
export class HostControl {
  readonly id: number;
  private readonly control: Y.Map<unknown>;
  private readonly state: ControlState;
  private readonly peers = new Map<number, PeerRecord>();
  private readonly left = new Set<number>();
  private readonly now: () => number;
  private applying = false;
  private pending = 0;
  /** Input events dropped by the rules or the rate limit (for tests and stats). */
  dropped = 0;

  constructor(
    readonly doc: Y.Doc,
    private readonly options: HostOptions,
  ) {
    this.id = doc.clientID;
    this.now = options.now ?? Date.now;
    this.control = doc.getMap('control');
    this.state = {
      host: this.id,
      mode: options.mode ?? 'turns',
      holder: 0,
      queue: [],
      turnEndsAt: 0,
      turnMs: clampTurn(options.turnMs ?? 30_000),
      participants: { [this.id]: { name: cleanText(options.name, LIMITS.nameChars) ?? 'host', colour: COLOUR.test(options.colour) ? options.colour : '#4c8bf5', role: 'host' } },
      kicked: [],
      chat: [],
    };
    this.apply();
    doc.on('afterTransaction', this.onTransaction);
  }

  destroy(): void {
    this.doc.off('afterTransaction', this.onTransaction);
  }

  snapshot(): ControlState {
    return structuredClone(this.state);
  }

  setMode(mode: ControlMode): void {
    if (!CONTROL_MODES.includes(mode)) throw new Error(`unknown control mode ${mode}`);
    this.state.mode = mode;
    this.apply();
  }

  setTurnMs(ms: number): void {
    this.state.turnMs = clampTurn(ms);
    this.apply();
  }

  /** Make a guest view-only (or a guest again). */
  setRole(id: number, role: 'guest' | 'viewer'): void {
    const record = this.peers.get(id);
    if (!record || record.role === undefined) return;
    record.role = role;
    this.apply();
  }

  kick(id: number): void {
    if (id === this.id || this.state.kicked.includes(id)) return;
    this.state.kicked.push(id);
    this.apply();
  }

  /** The guest left (its awareness went away): drop it from the participants, the queue and the turn. */
  peerLeft(id: number): void {
    this.left.add(id);
    this.apply();
  }

  /** The guest is back (awareness again) after peerLeft. */
  peerPresent(id: number): void {
    if (this.left.delete(id)) this.apply();
  }

  /** Run the turn timer; call a few times a second. */
  tick(): void {
    if (this.state.mode === 'turns' && this.state.turnEndsAt && this.now() >= this.state.turnEndsAt) {
      this.passTurn();
      this.apply();
    }
  }

  /** The host's own chat line. */
  chat(text: string): void {
    this.appendChat(this.id, text);
    this.apply();
  }

  /** Resolves when asynchronous proof checks have finished and been applied (for tests). */
  async settle(): Promise<void> {
    while (this.pending) await new Promise((resolve) => setTimeout(resolve, 0));
  }

  private readonly onTransaction = (transaction: Y.Transaction): void => {
    if (transaction.local || this.applying) return;
    this.apply();
  };

  /** Read every guest's area and stream, apply what the rules allow, then repair and publish `control`. */
  private apply(): void {
    if (this.applying) return;
    this.applying = true;
    try {
      this.doc.transact(() => {
        const guests = this.guestIds();
        for (const id of guests) this.applyPeer(id);
        this.normalise(guests);
        this.writeControl();
      });
    } finally {
      this.applying = false;
    }
    this.options.onChange?.();
  }

  private guestIds(): number[] {
    const ids: number[] = [];
    for (const name of this.doc.share.keys()) {
      const m = /^peer:(\d+)$/.exec(name);
      if (m && Number(m[1]) !== this.id) ids.push(Number(m[1]));
    }
    return ids;
  }

  private applyPeer(id: number): void {
    const area = this.doc.getMap<unknown>(`peer:${id}`);
    const stream = this.doc.getArray<unknown>(`input:${id}`);
    const now = this.now();
    let record = this.peers.get(id);
    if (!record) {
      record = {
        lastSeq: 0,
        proofSeen: false,
        input: new Bucket(LIMITS.inputPerSecond, LIMITS.inputBurst, now),
        mouse: new Bucket(LIMITS.mousePerSecond, LIMITS.mouseBurst, now),
        chat: new Bucket(LIMITS.chatPerSecond, LIMITS.chatBurst, now),
      };
      this.peers.set(id, record);
    }
    const s = this.state;
    const kicked = s.kicked.includes(id);
    const name = (record.name = cleanText(authored(area, 'name', id), LIMITS.nameChars) ?? record.name);
    const colourValue = authored(area, 'colour', id);
    const colour = (record.colour = typeof colourValue === 'string' && COLOUR.test(colourValue) ? colourValue : (record.colour ?? '#888888'));
    const proofValue = authored(area, 'proof', id);
    const proof = typeof proofValue === 'string' ? proofValue.slice(0, 128) : record.proof;
    if (!record.proofSeen || proof !== record.proof) this.checkProof(id, record, proof);
    const present = !kicked && !this.left.has(id) && name !== undefined && record.role !== undefined;
    if (present) s.participants[id] = { name: name!, colour, role: record.role! };
    else delete s.participants[id];

    if (!stream.length) return;
    if (!present && !kicked && !this.left.has(id) && !record.refused && stream.length <= LIMITS.backlog) return; // wait for its proof check
    for (const { author, value } of elements(stream)) {
      const decoded = author === id ? decodeEvent(value) : undefined;
      if (!decoded || decoded.seq <= record.lastSeq || !present) {
        this.dropped++;
        continue;
      }
      record.lastSeq = decoded.seq;
      const event = decoded.event;
      if (event.kind === 'request') {
        if (record.role === 'guest' && s.mode === 'turns' && s.holder !== id && !s.queue.includes(id)) s.queue.push(id);
      } else if (event.kind === 'release') {
        s.queue = s.queue.filter((q) => q !== id);
        if (s.holder === id) this.passTurn();
      } else if (event.kind === 'chat') {
        if (record.chat.take(now)) this.appendChat(id, event.text);
      } else if (mayType(s, id) && (event.kind === 'mouse' ? record.mouse : record.input).take(now)) {
        this.options.onInput?.(id, event);
      } else {
        this.dropped++;
      }
    }
    stream.delete(0, stream.length);
  }

  private checkProof(id: number, record: PeerRecord, proof: string | undefined): void {
    record.proof = proof;
    record.proofSeen = true;
    record.role = undefined;
    record.refused = false;
    const verify = this.options.verify;
    const earn = (role: Role | 'refused') => {
      record.refused = role === 'refused';
      record.role = role === 'refused' ? undefined : role;
    };
    if (!verify) {
      record.role = 'guest';
      return;
    }
    const result = verify(id, proof);
    if (typeof result === 'string') {
      earn(result);
      return;
    }
    this.pending++;
    result.then(
      (role) => {
        if (record.proof === proof) earn(role);
      },
      () => {
        if (record.proof === proof) earn('refused');
      },
    ).finally(() => {
      this.pending--;
      this.apply();
    });
  }

  /** Keep the turn rules: holder and queue are present guests; the timer runs only while someone waits. */
  private normalise(guests: number[]): void {
    const s = this.state;
    const canHold = (id: number) => s.participants[id]?.role === 'guest';
    const known = new Set(guests);
    for (const id of Object.keys(s.participants).map(Number)) if (id !== this.id && !known.has(id)) delete s.participants[id];
    if (s.mode !== 'turns') {
      s.holder = 0;
      s.queue = [];
    }
    s.queue = s.queue.filter(canHold);
    if (s.holder && !canHold(s.holder)) s.holder = 0;
    if (!s.holder && s.queue.length) this.passTurn();
    if (!s.queue.length) s.turnEndsAt = 0;
    else if (!s.turnEndsAt) s.turnEndsAt = this.now() + s.turnMs;
  }

  private passTurn(): void {
    const s = this.state;
    s.holder = s.queue.shift() ?? 0;
    s.turnEndsAt = s.holder && s.queue.length ? this.now() + s.turnMs : 0;
  }

  private appendChat(from: number, text: string): void {
    const clean = cleanText(text, LIMITS.chatChars);
    if (!clean) return;
    const chat = this.state.chat;
    chat.push({ from, name: this.state.participants[from]?.name ?? '?', text: clean, time: this.now() });
    if (chat.length > LIMITS.chatLines) chat.splice(0, chat.length - LIMITS.chatLines);
  }

  /** Write `state` when it differs from the authority's or someone else wrote it; delete every other key. */
  private writeControl(): void {
    const current = authored(this.control, 'state', this.id);
    if (current === undefined || JSON.stringify(current) !== JSON.stringify(this.state)) this.control.set('state', structuredClone(this.state));
    for (const key of [...this.control.keys()]) if (key !== 'state') this.control.delete(key);
  }
}

function clampTurn(ms: number): number {
  return Math.min(LIMITS.maxTurnMs, Math.max(LIMITS.minTurnMs, Number.isFinite(ms) ? ms : 30_000));
}

/** What a full-control link's key proves for one client: hex SHA-256 of "co86-session:<key>:<clientID>". */
export async function proofFor(key: string, id: number): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`co86-session:${key}:${id}`));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
