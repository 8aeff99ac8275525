/// <reference lib="webworker" />
import type { Machine, TextScreen } from '../../core/index.js';
import { connectNet, relayUrlFor, type NetAdapter } from '../net/index.js';
import { buildMachine, type BuiltMachine } from './boot.js';
import { FrameSource } from './frame-source.js';
import type { BootRequest, FromWorker, StatusUpdate, ToWorker } from './messages.js';
import { decodeSnapshot, encodeSnapshot, SnapshotError } from './snapshot-file.js';

/**
 * The emulator thread. Runs the machine in ~16 ms slices, sends the screen only when it changed (RGBA in
 * transferred buffers the UI gives back), serial bytes, the text screen and a status line. Everything is
 * caught and reported in words: the tab never freezes and the Worker never dies silently.
 */
const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (message: FromWorker, transfer: Transferable[] = []) => scope.postMessage(message, transfer);

const SLICE_MS = 16;
const FRAME_MS = 33;
const TEXT_MS = 100;
const STATUS_MS = 500;
/** Frames in flight to the UI at most; beyond that the UI is behind and frames are skipped. */
const MAX_FRAMES_IN_FLIGHT = 2;

/** Yields to the event loop without setTimeout's 4 ms clamp, so messages (keys) get in between slices. */
const channel = new MessageChannel();
let afterYield: (() => void) | undefined;
channel.port1.onmessage = () => afterYield?.();
const yieldThen = (fn: () => void) => {
  afterYield = fn;
  channel.port2.postMessage(0);
};

interface Session {
  built: BuiltMachine;
  machine: Machine;
  frames: FrameSource;
  request: BootRequest;
  generation: number;
  paused: boolean;
  net?: NetAdapter;
}

let session: Session | undefined;
let generation = 0;
const recycled: ArrayBuffer[] = [];
let framesInFlight = 0;
let serialOut: number[] = [];

function status(phase: StatusUpdate['phase'], detail: string, extra: Partial<StatusUpdate> = {}): void {
  post({ type: 'status', phase, detail, mips: 0, instructions: 0, fps: 0, diskBytes: 0, ...extra });
}

function fail(error: unknown, fatal: boolean): void {
  const message = error instanceof Error ? error.message : String(error);
  post({ type: 'error', message, fatal });
  if (fatal) status('stopped', message);
}

async function boot(request: BootRequest): Promise<void> {
  const mine = ++generation;
  session?.net?.close();
  session = undefined;
  const progress = (detail: string, fraction?: number) => {
    if (mine === generation) status('loading', detail, { progress: fraction });
  };
  try {
    let snapshot;
    if (request.snapshot) {
      progress('reading the snapshot', 0);
      const decoded = await decodeSnapshot(request.snapshot);
      const boot = decoded.header.boot;
      if (boot.kind === 'default') request = { ...request, source: { kind: 'default' } };
      else if (boot.kind === 'url') request = { ...request, source: { kind: 'disk', drive: boot.drive as 'hdd', image: boot.url, name: boot.url } };
      else if (request.source.kind === 'default' || request.source.name !== boot.name) {
        throw new SnapshotError(`This snapshot is of ${boot.name}, a local file: boot that file first, then restore.`);
      }
      request = { ...request, memoryMB: decoded.header.memoryMB, network: decoded.header.network };
      snapshot = decoded.snapshot;
    }
    const built = await buildMachine(request, progress, (message) => fail(new Error(message), false));
    if (mine !== generation) return;
    const machine = built.machine;
    if (snapshot) machine.loadState(snapshot);
    machine.onSerial = (byte) => serialOut.push(byte);
    machine.onLog = (message) => post({ type: 'error', message: `BIOS: ${message}`, fatal: false });
    session = { built, machine, frames: new FrameSource(machine.vga), request, generation: mine, paused: false };
    if (request.network) session.net = connectNet(machine, relayUrlFor(scope.location, request.network.room));
    status('running', snapshot ? `resumed ${built.summary}` : built.summary);
    run(session);
  } catch (e) {
    if (mine === generation) fail(e, true);
  }
}

function run(s: Session): void {
  let lastFrame = 0;
  let lastText = 0;
  let lastStatus = performance.now();
  let lastInstructions = s.machine.instructions;
  let framesSent = 0;
  let text = '';
  let cells: TextScreen | undefined;
  const machine = s.machine;
  const step = () => {
    if (s !== session) return;
    if (s.paused) {
      setTimeout(step, 50);
      return;
    }
    const start = performance.now();
    try {
      while (performance.now() - start < SLICE_MS) {
        machine.runSlice(50_000);
        if (machine.cpu.halted && machine.timeToNextEvent() > 0) break;
      }
    } catch (e) {
      fail(new Error(`The emulator stopped: ${(e as Error).message ?? e}`), true);
      session = undefined;
      return;
    }
    const now = performance.now();
    if (serialOut.length) {
      post({ type: 'serial', bytes: Uint8Array.from(serialOut) });
      serialOut = [];
    }
    if (now - lastFrame >= FRAME_MS && framesInFlight < MAX_FRAMES_IN_FLIGHT) {
      lastFrame = now;
      if (sendFrame(s)) framesSent++;
    }
    if (now - lastText >= TEXT_MS) {
      lastText = now;
      const current = machine.screenText();
      const mode = machine.vga.displayMode();
      // Cells and cursor too (colours, cursor position): posted whenever either they or the text changed.
      const screen = mode.text ? machine.vga.textScreen() : undefined;
      if (current !== text || !sameTextScreen(screen, cells)) {
        text = current;
        cells = screen;
        post({ type: 'text', text, mode: mode.text ? `text ${mode.cols}x${mode.rows}` : `graphics ${mode.width}x${mode.height}x${mode.bpp}`, cells: screen });
      }
    }
    if (now - lastStatus >= STATUS_MS) {
      const instructions = machine.instructions;
      const seconds = (now - lastStatus) / 1000;
      const delta = instructions >= lastInstructions ? instructions - lastInstructions : instructions;
      status('running', s.built.summary, {
        mips: delta / seconds / 1e6,
        instructions,
        fps: framesSent / seconds,
        diskBytes: s.built.lazyBytes(),
        net: s.net && {
          room: s.request.network!.room,
          status: s.net.status,
          framesIn: s.net.counters.framesIn,
          framesOut: s.net.counters.framesOut,
          dropped: s.net.counters.framesDropped,
        },
        jit: machine.jit && { blocksCompiled: machine.jit.stats.blocksCompiled, instructions: machine.jit.stats.instructions, failures: machine.jit.stats.failures },
      });
      lastStatus = now;
      lastInstructions = instructions;
      framesSent = 0;
    }
    if (machine.cpu.halted) setTimeout(step, Math.min(4, machine.timeToNextEvent() / 1e6));
    else yieldThen(step);
  };
  step();
}

function sameTextScreen(a: TextScreen | undefined, b: TextScreen | undefined): boolean {
  if (!a || !b) return a === b;
  const ca = a.cursor;
  const cb = b.cursor;
  if (a.cols !== b.cols || a.rows !== b.rows || ca.row !== cb.row || ca.col !== cb.col || ca.visible !== cb.visible || ca.startLine !== cb.startLine || ca.endLine !== cb.endLine) return false;
  for (let i = 0; i < a.cells.length; i++) if (a.cells[i] !== b.cells[i]) return false;
  return true;
}

function sendFrame(s: Session): boolean {
  const frame = s.frames.next();
  if (!frame) return false;
  const bytes = frame.width * frame.height * 4;
  const index = recycled.findIndex((b) => b.byteLength === bytes);
  const buffer = index >= 0 ? recycled.splice(index, 1)[0] : new ArrayBuffer(bytes);
  new Uint8ClampedArray(buffer).set(frame.pixels.subarray(0, bytes));
  framesInFlight++;
  post({ type: 'frame', width: frame.width, height: frame.height, pixels: buffer }, [buffer]);
  return true;
}

async function save(): Promise<void> {
  const s = session;
  if (!s) throw new Error('There is no running machine to save.');
  const snapshot = s.machine.saveState();
  const blob = await encodeSnapshot(snapshot, { memoryMB: s.request.memoryMB, boot: s.built.boot, network: s.request.network, savedAt: new Date().toISOString() });
  post({ type: 'saved', snapshot: blob });
}

scope.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  try {
    const machine = session?.machine;
    switch (message.type) {
      case 'boot':
        void boot(message.request);
        break;
      case 'keys':
        machine?.keyboard.sendScancodes(message.scancodes);
        break;
      case 'serial':
        if (machine) for (const b of message.bytes) machine.uart.receive(b);
        break;
      case 'mouse':
        machine?.mouseMove(message.dx, message.dy, message.dz, message.buttons);
        break;
      case 'recycle':
        framesInFlight = Math.max(0, framesInFlight - 1);
        if (recycled.length < 4) recycled.push(message.buffer);
        break;
      case 'save':
        save().catch((e: unknown) => fail(e, false));
        break;
      case 'download-disk': {
        const disk = session?.built.disk;
        const name = session?.built.summary ?? 'disk';
        if (!disk) post({ type: 'disk', name });
        else disk.modifiedImage().then((image) => post({ type: 'disk', image, name }), (e: unknown) => fail(e, false));
        break;
      }
      case 'pause':
        if (session) {
          session.paused = message.paused;
          status(message.paused ? 'paused' : 'running', session.built.summary);
        }
        break;
      case 'reset':
        // As the machine's own resets do: the board, then the boot path again (a direct kernel boot reloads).
        machine?.reset();
        machine?.onReset?.('reset button');
        break;
    }
  } catch (e) {
    fail(e, false);
  }
};

scope.onerror = (event) => {
  fail(new Error(`internal error: ${String(event)}`), false);
};
scope.onunhandledrejection = (event: PromiseRejectionEvent) => fail(event.reason, false);

post({ type: 'status', phase: 'loading', detail: 'the emulator is ready', mips: 0, instructions: 0, fps: 0, diskBytes: 0 });
