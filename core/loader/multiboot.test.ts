import { describe, expect, it } from 'vitest';
import { CMDLINE, E820_RAM, E820_RESERVED } from './boot-memory.js';
import { loadKernel } from './load-kernel.js';
import { INFO_LOADER_NAME, INFO_MMAP, INFO_MODULES, Info, InfoFlag, MB_MEMORY_INFO, MB_PAGE_ALIGN_MODULES, MB_VIDEO_MODE } from './multiboot.js';
import { bareMachine, fakeBzImage, fakeMultibootAout, fakeMultibootElf, pattern } from './test-images.js';

const MBI = 0x90000;
const MiB = 1024 * 1024;

function readString(m: ReturnType<typeof bareMachine>, addr: number): string {
  let s = '';
  for (let c = m.memory.read8(addr); c !== 0; c = m.memory.read8(++addr)) s += String.fromCharCode(c);
  return s;
}

/** A machine whose RAM above 1 MiB is filled with AAh, so that zeroed BSS shows. */
function dirtyMachine(memoryMB = 16) {
  const m = bareMachine(memoryMB);
  for (let a = 0x100000; a < 0x140000; a += 4) m.memory.write32(a, 0xaaaaaaaa);
  return m;
}

describe('Multiboot', () => {
  it('loads an a.out-kludge image at load_addr, up to load_end_addr, and zeroes the BSS', () => {
    const m = dirtyMachine();
    const code = pattern(600, 21);
    const image = fakeMultibootAout({ loadAddr: 0x100000, headerOffset: 64, code, bss: 0x1000, trailer: 100 });
    const info = loadKernel(m, { kernel: image });
    const loaded = 64 + 32 + 600;
    expect(m.memory.readBytes(0x100000, loaded)).toEqual(image.subarray(0, loaded));
    for (let a = 0x100000 + loaded; a < 0x100000 + loaded + 0x1000; a++) expect(m.memory.read8(a)).toBe(0);
    expect(m.memory.read8(0x100000 + loaded + 0x1000)).toBe(0xaa); // the trailer is not loaded, nothing past the BSS is touched
    expect(info).toMatchObject({ kind: 'multiboot', protocol: 'Multiboot 1 (a.out kludge)', entry: 0x100000 + 64 + 32, bootInfo: MBI });
    expect(info.image).toEqual({ start: 0x100000, end: 0x100000 + loaded + 0x1000 });
  });

  it('loads up to the end of the file when load_end_addr is 0, from a header not at the start', () => {
    const m = bareMachine();
    const image = fakeMultibootAout({ loadAddr: 0x200000, headerOffset: 0x1000 });
    new DataView(image.buffer).setUint32(0x1000 + 20, 0, true);
    loadKernel(m, { kernel: image });
    expect(m.memory.readBytes(0x200000, image.length)).toEqual(image);
  });

  it('builds the multiboot_info: memory sizes, command line, module, memory map, loader name, text framebuffer', () => {
    const m = bareMachine(16);
    const initrd = pattern(5000, 2);
    const image = fakeMultibootAout({ bss: 0x2345, flags: MB_PAGE_ALIGN_MODULES | MB_MEMORY_INFO | MB_VIDEO_MODE });
    const info = loadKernel(m, { kernel: image, cmdline: 'root=/dev/ram0 debug', initrd, initrdName: 'initrd.img quiet' });
    const mbi = new DataView(m.memory.readBytes(MBI, 0x1000).buffer);
    const u32 = (at: number) => mbi.getUint32(at, true);

    expect(u32(Info.FLAGS)).toBe(InfoFlag.MEMORY | InfoFlag.CMDLINE | InfoFlag.MODS | InfoFlag.MMAP | InfoFlag.LOADER_NAME | InfoFlag.FRAMEBUFFER);
    expect(u32(Info.MEM_LOWER)).toBe(639);
    expect(u32(Info.MEM_UPPER)).toBe(15 * 1024);
    expect(u32(12)).toBe(0); // no boot_device
    expect(u32(Info.CMDLINE)).toBe(CMDLINE);
    expect(readString(m, CMDLINE)).toBe('root=/dev/ram0 debug');

    const kernelEnd = 0x100000 + image.length + 0x2345;
    const moduleStart = Math.ceil(kernelEnd / 4096) * 4096;
    expect(u32(Info.MODS_COUNT)).toBe(1);
    expect(u32(Info.MODS_ADDR)).toBe(INFO_MODULES);
    const mod = INFO_MODULES - MBI;
    expect([u32(mod), u32(mod + 4), u32(mod + 12)]).toEqual([moduleStart, moduleStart + 5000, 0]);
    expect(readString(m, u32(mod + 8))).toBe('initrd.img quiet');
    expect(u32(mod + 8)).toBe(CMDLINE + 'root=/dev/ram0 debug'.length + 1);
    expect(m.memory.readBytes(moduleStart, 5000)).toEqual(initrd);
    expect(info.initrd).toEqual({ address: moduleStart, size: 5000 });

    expect(u32(Info.MMAP_ADDR)).toBe(INFO_MMAP);
    expect(u32(Info.MMAP_LENGTH)).toBe(4 * 24);
    const entries = [0, 1, 2, 3].map((i) => {
      const at = INFO_MMAP - MBI + i * 24;
      return [u32(at), Number(mbi.getBigUint64(at + 4, true)), Number(mbi.getBigUint64(at + 12, true)), u32(at + 20)];
    });
    expect(entries).toEqual([
      [20, 0, 0x9fc00, E820_RAM],
      [20, 0x9fc00, 0x400, E820_RESERVED],
      [20, 0xf0000, 0x10000, E820_RESERVED],
      [20, 0x100000, 15 * MiB, E820_RAM],
    ]);

    expect(u32(Info.BOOT_LOADER_NAME)).toBe(INFO_LOADER_NAME);
    expect(readString(m, INFO_LOADER_NAME)).toBe('co86');
    expect(Number(mbi.getBigUint64(Info.FRAMEBUFFER_ADDR, true))).toBe(0xb8000);
    expect([u32(Info.FRAMEBUFFER_PITCH), u32(Info.FRAMEBUFFER_WIDTH), u32(Info.FRAMEBUFFER_HEIGHT)]).toEqual([160, 80, 25]);
    expect([mbi.getUint8(Info.FRAMEBUFFER_BPP), mbi.getUint8(Info.FRAMEBUFFER_TYPE)]).toEqual([16, 2]);
    // Fields we do not provide stay zero: syms, drives, config table, APM, VBE.
    for (const at of [28, 32, 36, 40, 52, 56, 60, 68, 72, 76, 80, 84]) expect(u32(at), `offset ${at}`).toBe(0);
  });

  it('reports no modules without an initrd, and puts the kernel name before the command line when given', () => {
    const m = bareMachine();
    loadKernel(m, { kernel: fakeMultibootAout(), cmdline: 'a=1', kernelName: '/boot/kernel.elf' });
    expect(m.memory.read32(MBI + Info.MODS_COUNT)).toBe(0);
    expect(readString(m, CMDLINE)).toBe('/boot/kernel.elf a=1');
  });

  it('loads the PT_LOAD segments of an ELF image at their physical addresses, with BSS zeroed', () => {
    const m = dirtyMachine();
    const text = pattern(300, 1);
    const data = pattern(100, 2);
    const image = fakeMultibootElf(
      [
        { paddr: 0x100000, data: text },
        { type: 4, paddr: 0x130000, data: pattern(40, 9) }, // PT_NOTE: not loaded
        { paddr: 0x102000, data, memSize: 0x800 },
      ],
      0x100010,
    );
    const info = loadKernel(m, { kernel: image });
    expect(m.memory.readBytes(0x100000, 300)).toEqual(text);
    expect(m.memory.read8(0x100000 + 300)).toBe(0xaa);
    expect(m.memory.readBytes(0x102000, 100)).toEqual(data);
    for (let a = 0x102000 + 100; a < 0x102800; a++) expect(m.memory.read8(a)).toBe(0);
    expect(m.memory.read8(0x102800)).toBe(0xaa);
    expect(m.memory.read8(0x130000)).toBe(0xaa);
    expect(info).toMatchObject({ protocol: 'Multiboot 1 (ELF)', entry: 0x100010, image: { start: 0x100000, end: 0x102800 } });
  });

  it('translates a higher-half ELF entry given as a virtual address', () => {
    const image = fakeMultibootElf([{ vaddr: 0xc0100000, paddr: 0x100000, data: pattern(64, 3) }], 0xc0100020);
    expect(loadKernel(bareMachine(), { kernel: image }).entry).toBe(0x100020);
  });

  it('finds the header anywhere 4-byte aligned in the first 8 KiB, and not beyond', () => {
    expect(loadKernel(bareMachine(), { kernel: fakeMultibootAout({ headerOffset: 8192 - 32 }) }).kind).toBe('multiboot');
    expect(() => loadKernel(bareMachine(), { kernel: fakeMultibootAout({ headerOffset: 8192 }) })).toThrow(/not a kernel co86 can boot/);
  });

  it('takes an image with both a Linux setup header and a Multiboot header as Linux, as QEMU does', () => {
    const image = fakeBzImage({ kernel: fakeMultibootAout() });
    expect(loadKernel(bareMachine(), { kernel: image }).kind).toBe('linux');
  });

  it('refuses what it cannot load, saying why', () => {
    const m = bareMachine(16);
    const bad = fakeMultibootAout();
    bad[16 + 8] ^= 1;
    expect(() => loadKernel(m, { kernel: bad })).toThrow('the Multiboot header at offset 0x00010 has a bad checksum');
    expect(() => loadKernel(m, { kernel: fakeMultibootAout({ flags: 1 << 3 }) })).toThrow('the Multiboot header requires features co86 does not provide (flags 0x00008)');
    const mb2 = new Uint8Array(64);
    new DataView(mb2.buffer).setUint32(8, 0xe85250d6, true);
    expect(() => loadKernel(m, { kernel: mb2 })).toThrow(/Multiboot 2 image/);
    expect(() => loadKernel(m, { kernel: fakeMultibootAout({ loadAddr: 0x8000 }) })).toThrow(
      /kernel segment 0x08000-0x08223 overlaps the loader's entry stack and trampoline \(0x07000-0x08FFF\)/,
    );
    expect(() => loadKernel(m, { kernel: fakeMultibootAout({ loadAddr: 0x95000 }) })).toThrow(/overlaps the loader's boot information/);
    expect(() => loadKernel(m, { kernel: fakeMultibootAout({ loadAddr: 0xb0000 }) })).toThrow(/is not in RAM \(it touches A0000h-FFFFFh\)/);
    expect(() => loadKernel(m, { kernel: fakeMultibootAout({ loadAddr: 0xffff00 }) })).toThrow(/kernel segment 0xFFFF00-0x1000123 does not fit in 16 MiB of RAM/);
    expect(() => loadKernel(m, { kernel: fakeMultibootAout(), initrd: new Uint8Array(15 * MiB) })).toThrow(
      /the module \(15728640 bytes, 15 MiB\) does not fit after the kernel at 0x101000: RAM leaves 15724544 bytes/,
    );
    const flat = fakeMultibootElf([{ paddr: 0x100000, data: pattern(16, 1) }], 0x100000);
    flat[0] = 0; // no longer ELF, and no address fields
    expect(() => loadKernel(m, { kernel: flat })).toThrow('the Multiboot header has no address fields (flag 16 clear) and the image is not ELF');
    expect(() => loadKernel(m, { kernel: fakeMultibootElf([{ paddr: 0x100000, data: pattern(16, 1) }], 0x100000, { elfClass: 2 }) })).toThrow(/64-bit ELF/);
    expect(() => loadKernel(m, { kernel: fakeMultibootElf([{ paddr: 0x100000, data: pattern(16, 1) }], 0x100000, { machine: 62 }) })).toThrow(/not little-endian i386/);
    expect(() => loadKernel(m, { kernel: fakeMultibootElf([], 0x100000) })).toThrow('the Multiboot kernel has nothing to load');
    const truncated = fakeMultibootAout();
    new DataView(truncated.buffer).setUint32(16 + 20, 0x100000 + truncated.length + 1, true);
    expect(() => loadKernel(m, { kernel: truncated })).toThrow(/Multiboot load_end_addr asks for 549 bytes from offset 0x00000, past the end of the 548-byte file/);
  });
});
