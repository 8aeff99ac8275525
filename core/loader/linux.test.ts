import { describe, expect, it } from 'vitest';
import { Reg, Seg } from '../firmware.js';
import { CMDLINE, E820_RAM, E820_RESERVED } from './boot-memory.js';
import { CAN_USE_HEAP, Hdr, KEEP_SEGMENTS, LOADED_HIGH, Screen, ZeroPage } from './linux.js';
import { loadKernel } from './load-kernel.js';
import { describeKernel } from './types.js';
import { FAKE_HEADER_END, bareMachine, fakeBzImage, pattern } from './test-images.js';

const ZP = 0x90000;
const MiB = 1024 * 1024;

function readString(m: ReturnType<typeof bareMachine>, addr: number): string {
  let s = '';
  for (let c = m.memory.read8(addr); c !== 0; c = m.memory.read8(++addr)) s += String.fromCharCode(c);
  return s;
}

describe('Linux bzImage', () => {
  it('copies the protected-mode kernel to code32_start and nothing of the setup code', () => {
    const m = bareMachine();
    const kernel = pattern(5000, 11);
    const image = fakeBzImage({ kernel, setupSects: 2 });
    const info = loadKernel(m, { kernel: image });
    expect(m.memory.readBytes(0x100000, kernel.length)).toEqual(kernel);
    expect(m.memory.read8(0x100000 + kernel.length)).toBe(0); // nothing past it
    expect(info).toMatchObject({ kind: 'linux', protocol: 'Linux boot protocol 2.15', entry: 0x100000, bootInfo: ZP });
    expect(info.image).toEqual({ start: 0x100000, end: 0x100000 + kernel.length });
  });

  it('builds the zero page: the setup header copied, the loader fields, the screen, the memory sizes and E820', () => {
    const m = bareMachine(32);
    const image = fakeBzImage({ kernelVersion: '6.1.0-co86 (test@example) #1' });
    const info = loadKernel(m, { kernel: image, cmdline: 'console=ttyS0 quiet' });
    const zp = m.memory.readBytes(ZP, 0x1000);
    const view = new DataView(zp.buffer);

    // The header from 1F1h to its end, as in the image, except the fields the loader owns.
    const owned = new Set<number>();
    for (const [at, size] of [[Hdr.TYPE_OF_LOADER, 1], [Hdr.LOADFLAGS, 1], [Hdr.HEAP_END_PTR, 2], [Hdr.CMD_LINE_PTR, 4], [Hdr.RAMDISK_IMAGE, 4], [Hdr.RAMDISK_SIZE, 4]]) {
      for (let i = 0; i < size; i++) owned.add(at + i);
    }
    for (let i = Hdr.SETUP_SECTS; i < FAKE_HEADER_END; i++) if (!owned.has(i)) expect(zp[i], `byte ${i.toString(16)}`).toBe(image[i]);
    expect(view.getUint32(Hdr.HEADER, true)).toBe(0x53726448);
    expect(zp[Hdr.TYPE_OF_LOADER]).toBe(0xff);
    expect(zp[Hdr.LOADFLAGS]).toBe(LOADED_HIGH | CAN_USE_HEAP);
    expect(view.getUint16(Hdr.HEAP_END_PTR, true)).toBe(0x7e00);
    expect(view.getUint32(Hdr.CMD_LINE_PTR, true)).toBe(CMDLINE);
    expect(view.getUint32(Hdr.RAMDISK_IMAGE, true)).toBe(0);
    expect(view.getUint32(Hdr.RAMDISK_SIZE, true)).toBe(0);
    // Nothing past the header's end is copied, up to the E820 table (sentinel 0: all fields are ours).
    for (let i = FAKE_HEADER_END; i < ZeroPage.E820_TABLE; i++) expect(zp[i], `byte ${i.toString(16)}`).toBe(0);
    expect(zp[ZeroPage.SENTINEL]).toBe(0);

    // screen_info: 80x25 colour VGA text, mode 3, 16-line font; extended memory sizes.
    expect(zp[Screen.ORIG_X]).toBe(0);
    expect(zp[Screen.ORIG_Y]).toBe(0);
    expect(view.getUint16(Screen.EXT_MEM_K, true)).toBe(31 * 1024);
    expect(view.getUint16(Screen.ORIG_VIDEO_PAGE, true)).toBe(0);
    expect(zp[Screen.ORIG_VIDEO_MODE]).toBe(3);
    expect(zp[Screen.ORIG_VIDEO_COLS]).toBe(80);
    expect(view.getUint16(Screen.ORIG_VIDEO_EGA_BX, true)).toBe(3);
    expect(zp[Screen.ORIG_VIDEO_LINES]).toBe(25);
    expect(zp[Screen.ORIG_VIDEO_IS_VGA]).toBe(1);
    expect(view.getUint16(Screen.ORIG_VIDEO_POINTS, true)).toBe(16);
    expect(view.getUint32(ZeroPage.ALT_MEM_K, true)).toBe(31 * 1024);

    expect(zp[ZeroPage.E820_ENTRIES]).toBe(4);
    const e820 = [0, 1, 2, 3].map((i) => {
      const at = ZeroPage.E820_TABLE + i * 20;
      return [Number(view.getBigUint64(at, true)), Number(view.getBigUint64(at + 8, true)), view.getUint32(at + 16, true)];
    });
    expect(e820).toEqual([
      [0, 0x9fc00, E820_RAM],
      [0x9fc00, 0x400, E820_RESERVED],
      [0xf0000, 0x10000, E820_RESERVED],
      [0x100000, 31 * MiB, E820_RAM],
    ]);
    for (let i = ZeroPage.E820_TABLE + 4 * 20; i < 0x1000; i++) expect(zp[i]).toBe(0);

    expect(readString(m, CMDLINE)).toBe('console=ttyS0 quiet');
    expect(info.cmdline).toEqual({ address: CMDLINE, length: 19 });
    expect(info.version).toBe('6.1.0-co86 (test@example) #1');
    expect(describeKernel(info)).toBe('Linux boot protocol 2.15 (6.1.0-co86 (test@example) #1), image 0x100000-0x100BB7, entry 0x100000, cmdline 19 bytes');
  });

  it('clears KEEP_SEGMENTS and keeps the kernel\'s own flag bits', () => {
    const m = bareMachine();
    loadKernel(m, { kernel: fakeBzImage({ loadflags: LOADED_HIGH | KEEP_SEGMENTS | 0x20 }) });
    expect(m.memory.read8(ZP + Hdr.LOADFLAGS)).toBe(LOADED_HIGH | 0x20 | CAN_USE_HEAP);
  });

  it('puts an empty, NUL-terminated command line when none is given', () => {
    const m = bareMachine();
    m.memory.write8(CMDLINE, 0x41);
    loadKernel(m, { kernel: fakeBzImage() });
    expect(m.memory.read8(CMDLINE)).toBe(0);
  });

  it('puts the initrd as high as RAM allows, page-aligned', () => {
    const m = bareMachine(32);
    const initrd = pattern(10_000, 5);
    const info = loadKernel(m, { kernel: fakeBzImage(), initrd });
    const address = (32 * MiB - 10_000) & ~0xfff;
    expect(info.initrd).toEqual({ address, size: 10_000 });
    expect(address % 4096).toBe(0);
    expect(m.memory.readBytes(address, initrd.length)).toEqual(initrd);
    expect(m.memory.read32(ZP + Hdr.RAMDISK_IMAGE)).toBe(address);
    expect(m.memory.read32(ZP + Hdr.RAMDISK_SIZE)).toBe(10_000);
  });

  it('keeps the initrd below initrd_addr_max (its last byte may be that address)', () => {
    const m = bareMachine(32);
    const info = loadKernel(m, { kernel: fakeBzImage({ initrdAddrMax: 0xffffff }), initrd: new Uint8Array(0x2000) });
    expect(info.initrd!.address).toBe(0x1000000 - 0x2000);
    // Before protocol 2.03 the limit is 37FFFFFFh, which is above 32 MiB: RAM's end decides.
    const old = bareMachine(32);
    expect(loadKernel(old, { kernel: fakeBzImage({ version: 0x202, initrdAddrMax: 0x100000 }), initrd: new Uint8Array(0x2000) }).initrd!.address).toBe(32 * MiB - 0x2000);
  });

  it('keeps the initrd clear of the kernel\'s decompression footprint (pref_address + init_size)', () => {
    const m = bareMachine(32);
    const kernel = fakeBzImage({ prefAddress: 0x1000000, initSize: 0xe00000 });
    const info = loadKernel(m, { kernel, initrd: new Uint8Array(0x200000) });
    expect(info.footprint).toEqual({ start: 0x100000, end: 0x1e00000 });
    expect(info.initrd!.address).toBe(0x1e00000);
    expect(() => loadKernel(bareMachine(32), { kernel, initrd: new Uint8Array(0x200001) })).toThrow(
      'the initrd (2097153 bytes, 2 MiB) does not fit: it must lie between the kernel\'s end 0x1E00000 and 0x2000000 (the lower of RAM\'s end and the kernel\'s initrd_addr_max + 1), which leaves 2097152 bytes (2 MiB)',
    );
  });

  it('computes the footprint of a non-relocatable kernel from pref_address', () => {
    const info = loadKernel(bareMachine(32), { kernel: fakeBzImage({ relocatable: false, prefAddress: 0x400000, initSize: 0x100000 }) });
    expect(info.footprint).toEqual({ start: 0x100000, end: 0x500000 });
    const aligned = loadKernel(bareMachine(32), { kernel: fakeBzImage({ prefAddress: 0x100000, kernelAlignment: 0x400000, initSize: 0x100000 }) });
    expect(aligned.footprint.end).toBe(0x500000);
  });

  it('refuses an initrd too big for the RAM, naming the sizes', () => {
    expect(() => loadKernel(bareMachine(4), { kernel: fakeBzImage(), initrd: new Uint8Array(4 * MiB) })).toThrow(/initrd \(4194304 bytes, 4 MiB\) does not fit.*leaves 3080192 bytes \(2.94 MiB\)/);
  });

  it('refuses a kernel that needs more RAM than the machine has', () => {
    expect(() => loadKernel(bareMachine(16), { kernel: fakeBzImage({ initSize: 20 * MiB }) })).toThrow(
      'the kernel needs RAM up to 0x1500000 (21 MiB, decompression included); the machine has 16 MiB: give it at least 21 MiB',
    );
    expect(() => loadKernel(bareMachine(1), { kernel: fakeBzImage() })).toThrow(/the machine has 1 MiB/);
  });

  it('refuses a command line longer than cmdline_size (255 before protocol 2.06)', () => {
    expect(() => loadKernel(bareMachine(), { kernel: fakeBzImage({ cmdlineSize: 16 }), cmdline: 'x'.repeat(17) })).toThrow(
      'the command line is 17 bytes; this kernel accepts at most 16',
    );
    loadKernel(bareMachine(), { kernel: fakeBzImage({ cmdlineSize: 16 }), cmdline: 'x'.repeat(16) });
    expect(() => loadKernel(bareMachine(), { kernel: fakeBzImage({ version: 0x205, cmdlineSize: 4096 }), cmdline: 'x'.repeat(256) })).toThrow(/at most 255/);
    expect(() => loadKernel(bareMachine(), { kernel: fakeBzImage(), cmdline: 'a\0b' })).toThrow('the command line contains a NUL character');
  });

  it('refuses what it cannot boot, saying what it is', () => {
    const m = bareMachine();
    expect(() => loadKernel(m, { kernel: fakeBzImage({ version: 0x201 }) })).toThrow('Linux boot protocol 2.01 is too old: co86 needs 2.02 or later (kernel 2.4 and newer)');
    expect(() => loadKernel(m, { kernel: fakeBzImage({ loadflags: 0 }) })).toThrow(/zImage/);
    expect(() => loadKernel(m, { kernel: fakeBzImage({ xloadflags: 1 }) })).toThrow(/x86-64 kernel/);
    expect(() => loadKernel(m, { kernel: fakeBzImage({ code32Start: 0x10000 }) })).toThrow(/code32_start 0x10000 is below 1 MiB/);
    expect(() => loadKernel(m, { kernel: fakeBzImage({ kernel: new Uint8Array(0) }) })).toThrow(/truncated bzImage/);
    expect(() => loadKernel(m, { kernel: pattern(20_000, 1) })).toThrow(
      'not a kernel co86 can boot (20000 bytes): not a Linux bzImage (no "HdrS" setup header at 0x202) and not a Multiboot image (no 0x1BADB002 header in the first 8 KiB)',
    );
    expect(() => loadKernel(m, { kernel: new Uint8Array(0) })).toThrow(/not a kernel/);
  });

  it('treats setup_sects 0 as 4', () => {
    const m = bareMachine();
    const kernel = pattern(700, 9);
    loadKernel(m, { kernel: fakeBzImage({ setupSects: 0, kernel }) });
    expect(m.memory.readBytes(0x100000, 700)).toEqual(kernel);
  });

  it('leaves the CPU in real mode at the trampoline, interrupts off, registers zero', () => {
    const m = bareMachine();
    m.cpu.set32(Reg.EBX, 0x1234);
    m.cpu.setFlags(0x202);
    const info = loadKernel(m, { kernel: fakeBzImage() });
    expect(m.cpu.getSeg(Seg.CS)).toBe(0);
    expect(m.cpu.segBase(Seg.CS)).toBe(0);
    expect(m.cpu.getEip()).toBe(info.trampoline);
    expect(info.trampoline).toBe(0x8000 + 32 + 12);
    expect(m.cpu.getFlags() & 0x200).toBe(0);
    expect(m.cpu.get32(Reg.EBX)).toBe(0);
    expect(m.cpu.get32(Reg.ESP)).toBe(0x8000);
    for (const s of [Seg.DS, Seg.ES, Seg.SS]) expect(m.cpu.getSeg(s)).toBe(0);
  });
});
