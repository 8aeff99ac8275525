import type { DeviceState, MachineSnapshot } from '../../core/index.js';

/**
 * The snapshot file: what "Save" downloads and what IndexedDB keeps. Gzip of
 *   "CO86SNAP" · u32 format · u32 header length · header (UTF-8 JSON) · CPU state block · RAM
 * The header carries the machine's snapshot version, RAM size, device states (typed arrays as base64) and
 * what was booted, so a restore can rebuild the same machine first. Anything else is refused in words.
 */
const MAGIC = 'CO86SNAP';
const FORMAT = 1;

/** What was booted, as far as a snapshot needs to rebuild the machine before loading its state. */
export type SnapshotBoot = { kind: 'default' } | { kind: 'url'; drive: string; url: string } | { kind: 'local'; name: string };

export interface SnapshotHeader {
  format: number;
  memoryMB: number;
  boot: SnapshotBoot;
  /** The relay room of the VM's network card, when it had one (the card is part of the machine). */
  network?: { room: string };
  savedAt: string;
}

export async function encodeSnapshot(snapshot: MachineSnapshot, header: Omit<SnapshotHeader, 'format'>): Promise<Blob> {
  const json = JSON.stringify({
    ...header,
    format: FORMAT,
    version: snapshot.version,
    ramSize: snapshot.ramSize,
    cpuLength: snapshot.cpu.length,
    devices: encodeValue(snapshot.devices),
  });
  const jsonBytes = new TextEncoder().encode(json);
  const prefix = new Uint8Array(16);
  prefix.set(new TextEncoder().encode(MAGIC));
  const view = new DataView(prefix.buffer);
  view.setUint32(8, FORMAT, true);
  view.setUint32(12, jsonBytes.length, true);
  const raw = new Blob([prefix, jsonBytes, bytesOf(snapshot.cpu), bytesOf(snapshot.ram)]);
  return new Response(raw.stream().pipeThrough(new CompressionStream('gzip'))).blob();
}

export class SnapshotError extends Error {}

export async function decodeSnapshot(file: Blob): Promise<{ header: SnapshotHeader; snapshot: MachineSnapshot }> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await new Response(file.stream().pipeThrough(new DecompressionStream('gzip'))).arrayBuffer());
  } catch {
    throw new SnapshotError('This file is not a co86 snapshot (it is not compressed the way co86 saves them).');
  }
  if (bytes.length < 16 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) throw new SnapshotError('This file is not a co86 snapshot.');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const format = view.getUint32(8, true);
  if (format !== FORMAT) throw new SnapshotError(`This snapshot was saved by another version of co86 (file format ${format}; this version reads ${FORMAT}).`);
  const jsonLength = view.getUint32(12, true);
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + jsonLength))) as Record<string, unknown>;
  } catch {
    throw new SnapshotError('This co86 snapshot is damaged (its header is unreadable).');
  }
  const ramSize = Number(parsed.ramSize);
  const cpuLength = Number(parsed.cpuLength);
  const start = 16 + jsonLength;
  if (!Number.isInteger(ramSize) || !Number.isInteger(cpuLength) || start + cpuLength + ramSize !== bytes.length) {
    throw new SnapshotError('This co86 snapshot is damaged or cut short.');
  }
  const header: SnapshotHeader = {
    format,
    memoryMB: Number(parsed.memoryMB),
    boot: parsed.boot as SnapshotBoot,
    network: parsed.network as { room: string } | undefined,
    savedAt: String(parsed.savedAt),
  };
  const snapshot: MachineSnapshot = {
    version: Number(parsed.version),
    ramSize,
    cpu: bytes.subarray(start, start + cpuLength),
    ram: bytes.subarray(start + cpuLength, start + cpuLength + ramSize),
    devices: decodeValue(parsed.devices) as Record<string, DeviceState>,
  };
  return { header, snapshot };
}

function bytesOf(array: Uint8Array): Uint8Array<ArrayBuffer> {
  return array.buffer instanceof ArrayBuffer ? (array as Uint8Array<ArrayBuffer>) : new Uint8Array(array);
}

const TYPED = {
  Uint8Array,
  Uint8ClampedArray,
  Int8Array,
  Uint16Array,
  Int16Array,
  Uint32Array,
  Int32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
} as const;
type TypedName = keyof typeof TYPED;

/** JSON-safe copy of a device state: typed arrays become { $typed, base64 }, bigints { $bigint }. */
function encodeValue(value: unknown): unknown {
  if (ArrayBuffer.isView(value)) {
    const name = value.constructor.name;
    if (!(name in TYPED)) throw new Error(`cannot save a ${name} in a snapshot`);
    return { $typed: name, base64: toBase64(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)) };
  }
  if (typeof value === 'bigint') return { $bigint: value.toString() };
  if (Array.isArray(value)) return value.map(encodeValue);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encodeValue(v)]));
  return value;
}

function decodeValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodeValue);
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (typeof record.$typed === 'string' && typeof record.base64 === 'string' && record.$typed in TYPED) {
      const bytes = fromBase64(record.base64);
      const Type = TYPED[record.$typed as TypedName];
      return new Type(bytes.buffer, 0, bytes.length / Type.BYTES_PER_ELEMENT);
    }
    if (typeof record.$bigint === 'string') return BigInt(record.$bigint);
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, decodeValue(v)]));
  }
  return value;
}

function toBase64(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
