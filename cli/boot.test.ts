import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemble } from '../core/index.js';

const CLI = join(import.meta.dirname, 'co86.mjs');
const dir = mkdtempSync(join(tmpdir(), 'co86-boot-'));

/** A 1.44 MB floppy whose boot sector is `source` (assembled at 7C00h). */
function floppy(name: string, source: string): string {
  const image = new Uint8Array(1_474_560);
  const sector = assemble(`bits 16\n${source}\ntimes 510 - ($ - $$) db 0\ndw 0xaa55\n`, { origin: 0x7c00, bits: 16 }).bytes;
  image.set(sector);
  const path = join(dir, name);
  writeFileSync(path, image);
  return path;
}

/** Runs the CLI; `stdin` is written at once, or when `prompt` first appears on stdout (as a user would type). */
function run(args: string[], stdin = '', prompt?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let typed = prompt === undefined;
    child.stdout.on('data', (d) => {
      stdout += d;
      if (!typed && stdout.includes(prompt!)) {
        typed = true;
        child.stdin.end(stdin);
      }
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    if (typed) child.stdin.end(stdin);
  });
}

const SERIAL_PRINT = `
  cli
  xor ax, ax
  mov ds, ax
  mov si, msg
  mov dx, 0x3f8
.next:
  lodsb
  test al, al
  jz .done
  out dx, al
  mov ah, 0x0e
  int 0x10
  jmp .next
.done:
`;

describe('co86 boot', () => {
  it('boots a floppy and exits 0 once COM1 prints the --until text', async () => {
    const img = floppy('hello.img', `${SERIAL_PRINT}\n  hlt\n  jmp .done\nmsg: db "HELLO FROM THE BOOT SECTOR", 13, 10, 0`);
    const r = await run(['boot', '--fda', img, '--until', 'HELLO FROM', '--timeout', '30']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('HELLO FROM THE BOOT SECTOR');
  });

  it('--screen prints the VGA text screen at exit', async () => {
    const img = floppy('screen.img', `${SERIAL_PRINT}\n  hlt\n  jmp .done\nmsg: db "ON THE SCREEN", 0`);
    const r = await run(['boot', '--fda', img, '--until', 'SCREEN', '--timeout', '30', '--screen']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').some((line) => line.includes('ON THE SCREEN'))).toBe(true);
  });

  it('exits 1 with a clear message when --until never matches (a guest that never halts)', async () => {
    const img = floppy('spin.img', `spin: jmp spin`);
    const r = await run(['boot', '--fda', img, '--until', 'NEVER', '--timeout', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/timed out after 1 s waiting for serial output to match \/NEVER\//);
  });

  it('ends with (V << 1) | 1 when the guest writes V to port F4h', async () => {
    const img = floppy('exit.img', `mov al, 0x10\nout 0xf4, al\nhlt`);
    const r = await run(['boot', '--fda', img, '--timeout', '30']);
    expect(r.code).toBe(0x21);
  });

  // Bytes typed before the guest programs the UART are lost, as on hardware: type after its prompt.
  it('takes COM1 input from stdin', async () => {
    const img = floppy('echo.img', `
      mov dx, 0x3f8
      mov al, '>'
      out dx, al
    .wait:
      mov dx, 0x3fd
      in al, dx
      test al, 1
      jz .wait
      mov dx, 0x3f8
      in al, dx
      inc al
      out dx, al
      jmp .wait`);
    const r = await run(['boot', '--fda', img, '--until', 'IBM', '--timeout', '30'], 'HAL', '>');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('IBM');
  });

  it("runs an invalid opcode into the guest's #UD handler, not into a crash", async () => {
    const img = floppy('ud.img', `
      xor ax, ax
      mov ds, ax
      mov word [6*4], handler
      mov word [6*4+2], 0
      db 0x0f, 0x0b        ; UD2
    handler:
      mov si, msg
      ${SERIAL_PRINT.replace('mov si, msg', '')}
      hlt
    msg: db "UD CAUGHT", 0`);
    const r = await run(['boot', '--fda', img, '--until', 'UD CAUGHT', '--timeout', '30']);
    expect(r.code).toBe(0);
  });

  it('refuses a missing or empty image with a clear message', async () => {
    const empty = join(dir, 'empty.img');
    writeFileSync(empty, '');
    expect(await run(['boot', '--fda', join(dir, 'nope.img')])).toMatchObject({ code: 2, stderr: expect.stringMatching(/cannot read floppy image .*ENOENT/) });
    expect(await run(['boot', '--fda', empty])).toMatchObject({ code: 2, stderr: expect.stringMatching(/is empty/) });
  });

  it('reports that nothing boots from a hard disk without a boot signature', async () => {
    const blank = join(dir, 'blank.img');
    writeFileSync(blank, new Uint8Array(1024 * 1024));
    const r = await run(['boot', '--hda', blank, '--until-screen', '[Nn]o bootable|[Bb]oot failure|[Nn]ot bootable', '--timeout', '30']);
    expect(r.code).toBe(0);
  });
});

describe('co86 boot --kernel', () => {
  it('refuses a file that is no kernel, saying what it is not', async () => {
    const junk = join(dir, 'junk.bin');
    writeFileSync(junk, new Uint8Array(64 * 1024).fill(0x90));
    const r = await run(['boot', '--kernel', junk, '--timeout', '5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--kernel .*junk\.bin: not a kernel co86 can boot .*not a Linux bzImage.*not a Multiboot image/);
    expect(r.stderr).not.toMatch(/usage:/);
  });

  it('refuses --initrd without --kernel', async () => {
    const r = await run(['boot', '--initrd', 'x.gz']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--initrd and --append go with --kernel/);
  });
});
