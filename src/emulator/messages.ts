import type { TextScreen } from '../../core/index.js';

/** Messages between the UI thread and the emulator Worker (structured clone; frames move as transferables). */

/** Where the guest comes from. Files stay Files (the Worker reads slices on demand); URLs are read lazily. */
export type BootSource =
  | { kind: 'default' }
  | { kind: 'kernel'; kernel: Blob; initrd?: Blob; cmdline: string; name: string }
  /** `fresh`: forget the writes kept in the browser for this image and start from the image itself. */
  | { kind: 'disk'; drive: DiskDrive; image: Blob | string; name: string; fresh?: boolean };

export type DiskDrive = 'floppy' | 'hdd' | 'cdrom';

export interface BootRequest {
  source: BootSource;
  memoryMB: number;
  /** The page's address: relative image addresses (the default guest's images/) resolve against it. */
  baseUrl: string;
  /** An NE2000 (PCI) cabled to this relay room on the page's own server, or none. */
  network?: { room: string };
  /** A snapshot file (see snapshot-file.ts) to resume instead of powering on. */
  snapshot?: Blob;
}

export type ToWorker =
  | { type: 'boot'; request: BootRequest }
  | { type: 'keys'; scancodes: number[] }
  /** Pointer movement (DOM movementX/Y), wheel steps, buttons (bit 0 left, 1 right, 2 middle). */
  | { type: 'mouse'; dx: number; dy: number; dz: number; buttons: number }
  | { type: 'serial'; bytes: number[] }
  /** Give a frame buffer back for reuse once it is on the canvas. */
  | { type: 'recycle'; buffer: ArrayBuffer }
  | { type: 'save' }
  /** Ask for the guest's disk with its writes (answered by 'disk'). */
  | { type: 'download-disk' }
  | { type: 'pause'; paused: boolean }
  | { type: 'reset' };

export interface FrameUpdate {
  type: 'frame';
  width: number;
  height: number;
  /** RGBA, width*height*4 bytes (transferred). */
  pixels: ArrayBuffer;
}

export interface ScreenText {
  type: 'text';
  /** The text screen as rows joined with '\n' ('' in graphics modes). */
  text: string;
  mode: string;
  /** In text modes the cells (char | attribute << 8, row-major) and the cursor, for guests' colours and cursor. */
  cells?: TextScreen;
}

export interface StatusUpdate {
  type: 'status';
  /** 'loading' while images arrive, 'running', 'paused', 'stopped' after an error. */
  phase: 'loading' | 'running' | 'paused' | 'stopped';
  /** What is happening, in words: "downloading the kernel (2.1 of 5.4 MB)". */
  detail: string;
  /** 0..1 while loading, else undefined. */
  progress?: number;
  mips: number;
  instructions: number;
  /** Frames sent per second. */
  fps: number;
  /** Bytes read from lazily loaded images so far. */
  diskBytes: number;
  /** The network cable, when the VM has one. */
  net?: { room: string; status: string; framesIn: number; framesOut: number; dropped: number };
  /** The JIT (core/jit), when the machine has one: blocks compiled, instructions they ran, modules that failed. */
  jit?: { blocksCompiled: number; instructions: number; failures: number };
}

export type FromWorker =
  | FrameUpdate
  | ScreenText
  | StatusUpdate
  | { type: 'serial'; bytes: Uint8Array }
  /** A saved machine (a snapshot file). */
  | { type: 'saved'; snapshot: Blob }
  /** The guest's disk image with its writes, or undefined when the guest has no writable disk. */
  | { type: 'disk'; image?: Blob; name: string }
  /** Something went wrong, in plain words; `fatal` means the machine stopped. */
  | { type: 'error'; message: string; fatal: boolean };
