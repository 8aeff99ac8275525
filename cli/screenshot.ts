/**
 * `--screenshot F.png`: the screen as the VGA shows it (text modes drawn with our font through Vga.render),
 * written as a PNG by our own small encoder (RGB, 8 bits, filter 0, zlib from node:zlib).
 */
import { writeFile } from 'node:fs/promises';
import { deflateSync } from 'node:zlib';
import type { Machine } from '../core/index.js';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** RGBA pixels (alpha ignored) → PNG bytes (colour type 2, RGB). */
export function encodePng(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): Uint8Array {
  if (width < 1 || height < 1 || rgba.length < width * height * 4) throw new Error(`encodePng: ${rgba.length} bytes are not ${width}x${height} RGBA pixels`);
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits, RGB, deflate, filter method 0, no interlace
  const raw = new Uint8Array(height * (1 + width * 3));
  for (let y = 0, o = 0; y < height; y++) {
    raw[o++] = 0; // filter type None
    for (let x = 0, p = y * width * 4; x < width; x++, p += 4) {
      raw[o++] = rgba[p];
      raw[o++] = rgba[p + 1];
      raw[o++] = rgba[p + 2];
    }
  }
  const parts = [Uint8Array.from(SIGNATURE), chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))];
  const png = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    png.set(p, at);
    at += p.length;
  }
  return png;
}

/** Renders the machine's screen and writes it to `path`; returns the picture's size. */
export async function writeScreenshot(machine: Machine, path: string): Promise<{ width: number; height: number }> {
  const { width, height } = machine.vga.renderSize();
  const out = new Uint8ClampedArray(width * height * 4);
  machine.vga.render(out);
  await writeFile(path, encodePng(out, width, height));
  return { width, height };
}

/** `--screen` output: the text screen, or one line `graphics WIDTHxHEIGHTxBPP` in a graphics mode. */
export function screenSummary(machine: Machine): string {
  const mode = machine.vga.displayMode();
  return mode.text ? machine.screenText() : `graphics ${mode.width}x${mode.height}x${mode.bpp}`;
}
