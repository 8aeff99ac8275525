import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { assemble, FONT8X16 } from '../core/index.js';
import { encodePng } from './screenshot.js';

const CLI = join(import.meta.dirname, 'co86.mjs');
const dir = mkdtempSync(join(tmpdir(), 'co86-shot-'));

/** Decodes what encodePng writes (RGB, filter 0 on every row): size and pixels, checking chunk order and CRC presence. */
function decodePng(png: Uint8Array): { width: number; height: number; rgb: Uint8Array } {
  expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const view = new DataView(png.buffer, png.byteOffset, png.length);
  let at = 8;
  let width = 0;
  let height = 0;
  const idat: Uint8Array[] = [];
  const types: string[] = [];
  while (at < png.length) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    const data = png.subarray(at + 8, at + 8 + length);
    types.push(type);
    if (type === 'IHDR') {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      expect(Array.from(data.subarray(8))).toEqual([8, 2, 0, 0, 0]);
    } else if (type === 'IDAT') idat.push(data);
    at += 12 + length;
  }
  expect(types).toEqual(['IHDR', 'IDAT', 'IEND']);
  const raw = inflateSync(Buffer.concat(idat));
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (1 + width * 3)]).toBe(0);
    rgb.set(raw.subarray(y * (1 + width * 3) + 1, (y + 1) * (1 + width * 3)), y * width * 3);
  }
  return { width, height, rgb };
}

const pixel = (img: { width: number; rgb: Uint8Array }, x: number, y: number) => Array.from(img.rgb.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));

function floppy(name: string, source: string): string {
  const image = new Uint8Array(1_474_560);
  image.set(assemble(`bits 16\n${source}\ntimes 510 - ($ - $$) db 0\ndw 0xaa55\n`, { origin: 0x7c00, bits: 16 }).bytes);
  const path = join(dir, name);
  writeFileSync(path, image);
  return path;
}

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end();
  });
}

const SAY_DONE = `
  mov dx, 0x3f8
  mov al, 'D'
  out dx, al
  mov al, 'N'
  out dx, al
  mov al, 'E'
  out dx, al
halt:
  hlt
  jmp halt
`;

describe('encodePng', () => {
  it('writes a PNG whose header, size and pixels decode back', () => {
    const rgba = new Uint8Array(3 * 2 * 4);
    rgba.set([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 1, 2, 3, 255, 4, 5, 6, 255, 7, 8, 9, 255]);
    const img = decodePng(encodePng(rgba, 3, 2));
    expect([img.width, img.height]).toEqual([3, 2]);
    expect(Array.from(img.rgb)).toEqual([255, 0, 0, 0, 255, 0, 0, 0, 255, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(() => encodePng(rgba, 4, 4)).toThrow(/not 4x4/);
  });
});

describe('co86 boot --screenshot / --screen', () => {
  it('mode 13h: --screen prints the graphics line, the PNG holds the pixels the guest drew', async () => {
    const img = floppy('m13.img', `
  mov ax, 0x0013
  int 0x10
  push 0xa000
  pop es
  mov byte [es:0], 4              ; (0,0): red
  mov byte [es:320*10 + 20], 1    ; (20,10): blue
  mov byte [es:320*199 + 319], 15 ; (319,199): white
${SAY_DONE}`);
    const shot = join(dir, 'm13.png');
    const r = await run(['boot', '--fda', img, '--until', 'DNE', '--timeout', '30', '--clock', 'deterministic', '--screen', '--screenshot', shot]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('graphics 320x200x8');
    const png = decodePng(readFileSync(shot));
    expect([png.width, png.height]).toEqual([320, 200]);
    expect(pixel(png, 0, 0)).toEqual([0xaa, 0, 0]);
    expect(pixel(png, 20, 10)).toEqual([0, 0, 0xaa]);
    expect(pixel(png, 319, 199)).toEqual([255, 255, 255]);
    expect(pixel(png, 1, 1)).toEqual([0, 0, 0]);
  }, 60000);

  it('text mode: a 720x400 PNG with the character drawn in our 8x16 font', async () => {
    const img = floppy('text.img', `
  push 0xb800
  pop es
  mov word [es:0], 0x1f41         ; 'A', white on blue, at row 0 col 0
${SAY_DONE}`);
    const shot = join(dir, 'text.png');
    const r = await run(['boot', '--fda', img, '--until', 'DNE', '--timeout', '30', '--clock', 'deterministic', '--screen', '--screenshot', shot]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').some((line) => line.startsWith('A'))).toBe(true);
    const png = decodePng(readFileSync(shot));
    expect([png.width, png.height]).toEqual([720, 400]);
    for (let y = 0; y < 16; y++) {
      const bits = FONT8X16.glyphs[0x41 * 16 + y];
      for (let x = 0; x < 8; x++) expect(pixel(png, x, y), `${x},${y}`).toEqual((bits << x) & 0x80 ? [255, 255, 255] : [0, 0, 0xaa]);
    }
  }, 60000);
});
