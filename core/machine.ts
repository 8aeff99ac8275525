import type { BlockDevice } from './block.js';
import { DeterministicClock, RealtimeClock, type InstructionClock } from './clock.js';
import { Cpu } from './cpu/index.js';
import type { Device, DeviceState, TimedDevice } from './device.js';
import { DebugPorts, I8042, Mc146818, Pic8259Pair, Pit8254, Port92, Ps2Keyboard, Uart16550, Vga } from './devices/index.js';
import { Dma8237, Fdc82077, PcSpeaker, Ps2Mouse } from './devices/index.js';
import { I440fx } from './devices/pci/i440fx.js';
import { PciBus } from './devices/pci/pci.js';
import { Piix3 } from './devices/pci/piix3.js';
import { PiixIde } from './devices/ide/piix-ide.js';
import { macFromConfig } from './devices/ne2000/mac.js';
import { NE2000_ISA_IRQ, Ne2000Isa, Ne2000Pci } from './devices/ne2000/ne2000.js';
import type { Firmware, FirmwareHost } from './firmware.js';
import { IoBus } from './io.js';
import { Layout } from './layout.js';
import { PhysicalMemory } from './memory.js';
import { Jit, JIT_DEFAULT } from './jit/index.js';

export interface MachineConfig {
  /** Guest RAM in MiB (default 16). */
  memoryMB?: number;
  firmware: Firmware;
  /** Floppy drives A:, B:. */
  floppies?: (BlockDevice | undefined)[];
  /** Hard disks 80h, 81h, … */
  hardDisks?: (BlockDevice | undefined)[];
  /** CD-ROM drives (read-only, 2048-byte sectors). */
  cdroms?: (BlockDevice | undefined)[];
  /** 'realtime' follows the host clock; 'deterministic' derives time from instructions retired. */
  clock?: 'realtime' | 'deterministic';
  /** Wall-clock time at power-on for the RTC (ms since 1970); default now, or 2000-01-01 for a deterministic clock. */
  epochMs?: number;
  /** An NE2000 network card: the PCI RTL8029 at slot 3 (default) or the ISA card at 300h/IRQ 9; MAC random by default. */
  nic?: { mac?: string | Uint8Array; bus?: 'pci' | 'isa' };
  /** Compile hot 32-bit code to WebAssembly (core/jit); default JIT_DEFAULT (on). */
  jit?: boolean;
}

const A20_ON = 0xffffffff;
const A20_OFF = 0xffefffff;
/** Longest a slice may run before devices get a look, even with no deadline due (ns of machine time). */
const MAX_SLICE_NS = 1_000_000;
const SNAPSHOT_VERSION = 1;

/**
 * A PC: CPU, memory, the board's chips and the firmware, wired as DESIGN §2 and docs/BOARD.md say.
 * Instance-scoped throughout: any number of machines may run in one process.
 */
export class Machine {
  readonly memory: PhysicalMemory;
  readonly io = new IoBus();
  readonly clock: InstructionClock;
  readonly cpu: Cpu;
  readonly pic: Pic8259Pair;
  readonly pit: Pit8254;
  readonly rtc: Mc146818;
  readonly kbc: I8042;
  readonly keyboard: Ps2Keyboard;
  readonly uart: Uart16550;
  readonly vga: Vga;
  readonly port92: Port92;
  readonly debugPorts: DebugPorts;
  readonly dma: Dma8237;
  readonly fdc: Fdc82077;
  readonly mouse: Ps2Mouse;
  readonly speaker: PcSpeaker;
  /** PCI bus 0 (docs/BOARD.md "PCI"): slot 0 host bridge, slot 1 PIIX3 (fn 0 ISA bridge, fn 1 IDE). */
  readonly pci: PciBus;
  readonly hostBridge: I440fx;
  readonly piix3: Piix3;
  /** PIIX3 IDE (slot 1 fn 1): hard disks on the primary channel, the first CD-ROM as secondary master. */
  readonly ide: PiixIde;
  /** The network card, when the config asks for one (docs/BOARD.md). */
  readonly nic: Ne2000Pci | Ne2000Isa | undefined = undefined;
  /** The JIT when enabled (config.jit); its counters are `jit.stats`. */
  readonly jit: Jit | undefined = undefined;
  readonly firmware: Firmware;
  readonly floppies: (BlockDevice | undefined)[];
  readonly hardDisks: (BlockDevice | undefined)[];
  readonly cdroms: (BlockDevice | undefined)[];

  /** COM1 transmitted a byte. */
  onSerial?: (byte: number) => void;
  /** A byte written to the debug console port E9h. */
  onDebugCon?: (byte: number) => void;
  /** A write of V to port F4h: the run should end with exit code (V << 1) | 1. */
  onDebugExit?: (code: number) => void;
  /** The machine reset itself (keyboard-controller pulse, port 92h, triple fault, firmware request). */
  onReset?: (reason: string) => void;
  /** Firmware messages for the user. */
  onLog?: (message: string) => void;
  /** The network card transmitted an Ethernet frame (no FCS; the array is the caller's to keep). */
  onFrame?: (frame: Uint8Array) => void;
  /** The PC speaker's audible tone started or changed (Hz), or stopped (0). */
  onTone?: (hz: number) => void;

  private readonly devices: Device[];
  private readonly timed: TimedDevice[];
  private readonly state: Uint32Array;
  private readonly host: FirmwareHost;
  private nextDeadline = 0;
  private a20Sources: { kbc: boolean; port92: boolean };
  private resetPending: string | undefined;

  constructor(config: MachineConfig) {
    const ramSize = (config.memoryMB ?? 16) * 1024 * 1024;
    this.memory = new PhysicalMemory(ramSize);
    this.state = new Uint32Array(this.memory.memory.buffer, 0, Layout.STATE_SIZE / 4);
    this.firmware = config.firmware;
    this.floppies = config.floppies ?? [];
    this.hardDisks = config.hardDisks ?? [];
    this.cdroms = config.cdroms ?? [];
    this.memory.loadBios(config.firmware.rom);

    const deterministic = config.clock === 'deterministic';
    // The CPU reads the clock (its TSC) while it is being built, before this.cpu is assigned.
    const instructions = () => (this.cpu ? this.cpu.instructions : 0);
    this.clock = deterministic ? new DeterministicClock(instructions) : new RealtimeClock(instructions);
    const io = this.io;
    const memory = this.memory;
    const clock = this.clock;
    // The A20 gate is the OR of the 8042's output port and port 92h, as on AT chipsets.
    const a20Sources = { kbc: true, port92: false };
    const a20From = (source: keyof typeof a20Sources) => (on: boolean) => {
      a20Sources[source] = on;
      this.setA20(a20Sources.kbc || a20Sources.port92);
    };
    this.a20Sources = a20Sources;
    const resetSystem = () => this.requestReset('reset line');

    const firmware = config.firmware;
    this.cpu = new Cpu({
      memory,
      io,
      firmwareTrap: firmware.trap ? (service) => firmware.trap!(service, this.host) : undefined,
      acknowledgeInterrupt: () => this.pic.acknowledge(),
      onShutdown: () => this.requestReset('triple fault'),
      // The TSC counts machine time, so the guest's TSC and PIT calibrations agree.
      timeNs: () => this.clock.now(),
      // FERR# from the x87 (CR0.NE = 0) reaches the slave PIC as IRQ 13, as on AT boards.
      onFerr: (level) => this.pic.line(13)(level),
    });
    // A moved PCI BAR changes the physical map; the TLB may hold direct RAM translations for those pages.
    memory.onMapChange = () => this.cpu.flushAllTranslations();
    if (config.jit ?? JIT_DEFAULT) {
      this.jit = new Jit(memory);
      this.cpu.blockRunner = this.jit;
    }
    this.pic = new Pic8259Pair({ io });
    this.pic.onIntr = (level) => this.cpu.setIntr(level);
    this.pit = new Pit8254({ io, clock, irq: this.pic.line(0) });
    this.rtc = new Mc146818({ io, clock, irq: this.pic.line(8), epochMs: config.epochMs ?? (deterministic ? Date.UTC(2000, 0, 1) : Date.now()) });
    this.keyboard = new Ps2Keyboard();
    this.kbc = new I8042({ io, clock, keyboard: this.keyboard, irq: this.pic.line(1), irq12: this.pic.line(12), setA20: a20From('kbc'), resetSystem });
    this.uart = new Uart16550({ io, clock, base: 0x3f8, irq: this.pic.line(4), name: 'COM1' });
    this.uart.onTransmit = (byte) => this.onSerial?.(byte);
    this.vga = new Vga({ io, memory, clock });
    this.port92 = new Port92({ io, setA20: a20From('port92'), resetSystem });
    this.debugPorts = new DebugPorts({ io, onDebugCon: (b) => this.onDebugCon?.(b), onExit: (code) => this.onDebugExit?.(code) });
    this.dma = new Dma8237({ io, memory });
    this.fdc = new Fdc82077({ io, dma: this.dma, irq: this.pic.line(6), disks: this.floppies });
    this.mouse = new Ps2Mouse();
    this.kbc.attachAux(this.mouse);
    this.speaker = new PcSpeaker({ pit: this.pit, onTone: (hz) => this.onTone?.(hz) });
    this.pci = new PciBus({ io });
    this.hostBridge = new I440fx();
    this.pci.attach(0, 0, this.hostBridge);
    this.piix3 = new Piix3({ io, bus: this.pci, pic: this.pic, resetSystem });
    this.pci.attach(1, 0, this.piix3);
    this.ide = new PiixIde({ io, memory, irq14: this.pic.line(14), irq15: this.pic.line(15), drives: PiixIde.drivesFor(this.hardDisks, this.cdroms) });
    this.pci.attach(1, 1, this.ide);
    this.pci.attach(2, 0, this.vga.pci);
    if (config.nic) {
      const mac = macFromConfig(config.nic.mac);
      const onFrame = (frame: Uint8Array) => this.onFrame?.(frame);
      if (config.nic.bus === 'isa') {
        this.nic = new Ne2000Isa({ io, mac, irq: this.pic.line(NE2000_ISA_IRQ), onFrame });
      } else {
        const nic = new Ne2000Pci({ io, mac, onFrame });
        nic.connectIrq(this.pci.attach(3, 0, nic));
        this.nic = nic;
      }
    }

    this.devices = [this.pic, this.pit, this.rtc, this.kbc, this.keyboard, this.uart, this.vga, this.port92, this.debugPorts, this.pci, this.piix3, this.ide];
    if (this.nic) this.devices.push(this.nic);
    this.devices.push(this.dma, this.fdc, this.mouse, this.speaker); // the speaker after the PIT: it re-reads the tone on load
    this.timed = this.devices.filter((d): d is TimedDevice => typeof (d as TimedDevice).tick === 'function');

    this.host = {
      cpu: this.cpu,
      memory,
      io,
      clock,
      ramSize,
      floppies: this.floppies,
      hardDisks: this.hardDisks,
      cdroms: this.cdroms,
      requestReset: () => this.requestReset('firmware'),
      log: (message) => this.onLog?.(message),
    };
    this.powerOn();
  }

  get ramSize(): number {
    return this.memory.ramSize;
  }

  /** Instructions retired since the last reset. */
  get instructions(): number {
    return this.cpu.instructions;
  }

  /** Power-on: every chip to its reset state, CMOS filled in, firmware prepared, CPU at the reset vector. */
  private powerOn(): void {
    for (const device of this.devices) device.reset();
    // After reset the 8042 output port has A20 on and port 92h has it off (docs/BOARD.md).
    this.a20Sources.kbc = true;
    this.a20Sources.port92 = false;
    this.setA20(true);
    this.fillCmos();
    this.clock.reset();
    this.cpu.reset();
    this.firmware.powerOn?.(this.host);
    this.nextDeadline = 0;
  }

  /** A reset of the CPU and the board (RAM keeps its contents, as on a warm reset). */
  reset(): void {
    this.resetPending = undefined;
    this.powerOn(); // the RTC keeps its time and CMOS across reset(), being battery-backed
  }

  private requestReset(reason: string): void {
    this.resetPending = reason;
    this.cpu.requestStop();
  }

  setA20(on: boolean): void {
    this.state[Layout.A20_MASK >>> 2] = on ? A20_ON : A20_OFF;
  }

  get a20(): boolean {
    return this.state[Layout.A20_MASK >>> 2] === A20_ON;
  }

  private fillCmos(): void {
    const kb = this.memory.ramSize / 1024;
    const extendedKb = Math.min(0xffff, Math.max(0, kb - 1024));
    const above16M = Math.min(0xffff, Math.max(0, (this.memory.ramSize - 16 * 1024 * 1024) / 65536));
    const floppyType = (disk: BlockDevice | undefined) => (disk ? floppyCmosType(disk.size) : 0);
    const set = (index: number, value: number) => this.rtc.setByte(index, value & 0xff);
    set(0x10, (floppyType(this.floppies[0]) << 4) | floppyType(this.floppies[1]));
    set(0x12, (this.hardDisks[0] ? 0xf0 : 0) | (this.hardDisks[1] ? 0x0f : 0));
    const floppies = this.floppies.filter(Boolean).length;
    // Equipment byte: bit 0 floppy present, bit 1 x87 present, bits 4-5 = 00 (EGA/VGA), bits 6-7 floppies - 1.
    set(0x14, 0x02 | (floppies ? 1 | ((floppies - 1) << 6) : 0));
    set(0x15, 640 & 0xff);
    set(0x16, 640 >> 8);
    set(0x17, extendedKb & 0xff);
    set(0x18, extendedKb >> 8);
    set(0x30, extendedKb & 0xff);
    set(0x31, extendedKb >> 8);
    set(0x34, above16M & 0xff);
    set(0x35, above16M >> 8);
  }

  /**
   * Runs the CPU for up to `maxInstructions`, stopping early at the next device deadline, then lets the
   * timed devices catch up. While the CPU is halted, a deterministic clock skips to the next deadline; a
   * real-time one waits for the host (the caller sleeps). Returns the instructions executed.
   */
  runSlice(maxInstructions: number): number {
    if (this.resetPending !== undefined) this.applyReset();
    const clock = this.clock;
    let now = clock.now();
    if (now >= this.nextDeadline) now = this.tickDevices(now);
    const untilDeadline = Math.ceil((Math.min(this.nextDeadline, now + MAX_SLICE_NS) - now) / clock.nsPerInstruction);
    const executed = this.cpu.run(Math.max(1, Math.min(maxInstructions, untilDeadline)));
    if (this.resetPending !== undefined) this.applyReset();
    if (this.cpu.halted) {
      const current = clock.now();
      clock.advanceIdle(clock.idleUntil(Math.min(this.nextDeadline, current + MAX_SLICE_NS)) - current);
    }
    clock.afterSlice();
    return executed;
  }

  /** Nanoseconds of machine time until a device next wants to run (0 if one is due). */
  timeToNextEvent(): number {
    return Math.max(0, this.nextDeadline - this.clock.now());
  }

  private tickDevices(now: number): number {
    let next = now + MAX_SLICE_NS;
    for (const device of this.timed) {
      const due = device.tick(now);
      if (due < next) next = due;
    }
    // A device that asks again for a moment already handled would freeze time while the CPU is halted.
    this.nextDeadline = Math.max(next, now + 1);
    return now;
  }

  private applyReset(): void {
    const reason = this.resetPending!;
    this.reset();
    this.jit?.invalidateAll(); // the loader may write the kernel again behind the CPU
    this.onReset?.(reason);
  }

  /**
   * Runs until `done()` is true or `timeoutMs` of host time pass; yields to the host event loop between
   * bursts so that timers, I/O and promises (asynchronous disks) make progress. Resolves true when done.
   */
  async runUntil(done: () => boolean, options: { timeoutMs: number; burstMs?: number }): Promise<boolean> {
    const start = performance.now();
    const burstMs = options.burstMs ?? 20;
    while (!done()) {
      const burstStart = performance.now();
      if (burstStart - start > options.timeoutMs) return false;
      while (performance.now() - burstStart < burstMs) {
        this.runSlice(50_000);
        if (done()) return true;
        if (this.cpu.halted && this.timeToNextEvent() > 0) break;
      }
      const idleMs = this.cpu.halted ? Math.min(10, this.timeToNextEvent() / 1e6) : 0;
      await new Promise((resolve) => setTimeout(resolve, idleMs));
    }
    return true;
  }

  /** The VGA text screen as text: rows joined with '\n', trailing spaces trimmed. */
  /** An Ethernet frame from the network for the card; false if there is no card or it did not take the frame. */
  receiveFrame(frame: Uint8Array): boolean {
    return this.nic?.receive(frame) ?? false;
  }

  screenText(): string {
    return this.vga.screenText();
  }

  /**
   * The PS/2 mouse moved: `dx` right, `dy` down (as DOM movementX/Y), `dz` wheel steps (positive: towards
   * the user, as DOM deltaY > 0), `buttons` bit 0 left, bit 1 right, bit 2 middle (as DOM MouseEvent.buttons).
   */
  mouseMove(dx: number, dy: number, dz: number, buttons: number): void {
    this.mouse.move(dx, dy, dz, buttons);
  }

  /** Changes the disk in floppy drive 0 (A:) or 1 (B:) of those configured, or empties it; the guest sees a disk change. */
  insertFloppy(drive: number, disk: BlockDevice | undefined): void {
    this.fdc.insertDisk(drive, disk);
    this.floppies[drive] = disk;
  }

  /** A snapshot: the CPU state block, RAM, and every device's named state. */
  saveState(): MachineSnapshot {
    const u8 = this.memory.u8;
    return {
      version: SNAPSHOT_VERSION,
      ramSize: this.memory.ramSize,
      cpu: u8.slice(0, Layout.STATE_SIZE),
      ram: u8.slice(Layout.RAM, Layout.RAM + this.memory.ramSize),
      devices: Object.fromEntries(this.devices.map((d) => [d.name, d.saveState()])),
    };
  }

  /**
   * Restores a snapshot. The CPU state block goes first, so devices that read the clock while loading see
   * the restored time. A snapshot that fails part-way (a device state this build cannot read) leaves the
   * machine as it was before the call.
   */
  loadState(snapshot: MachineSnapshot): void {
    if (snapshot.version !== SNAPSHOT_VERSION) throw new Error(`snapshot version ${snapshot.version} is not readable by this build (version ${SNAPSHOT_VERSION})`);
    if (snapshot.ramSize !== this.memory.ramSize) throw new Error(`snapshot has ${snapshot.ramSize} bytes of RAM, this machine ${this.memory.ramSize}`);
    const missing = this.devices.find((device) => !snapshot.devices[device.name]);
    if (missing) throw new Error(`snapshot has no state for ${missing.name}`);
    const before = this.saveState();
    try {
      this.applySnapshot(snapshot);
    } catch (e) {
      this.applySnapshot(before);
      throw e;
    }
  }

  private applySnapshot(snapshot: MachineSnapshot): void {
    this.memory.u8.set(snapshot.cpu, 0);
    this.memory.u8.set(snapshot.ram, Layout.RAM);
    this.jit?.invalidateAll();
    for (const device of this.devices) device.loadState(snapshot.devices[device.name]);
    this.nextDeadline = 0;
  }
}

export interface MachineSnapshot {
  version: number;
  ramSize: number;
  cpu: Uint8Array;
  ram: Uint8Array;
  devices: Record<string, DeviceState>;
}

/** CMOS floppy drive type (register 10h) for an image size: the drive that reads it. */
function floppyCmosType(size: number): number {
  if (size <= 368_640) return 1; // 360 KiB 5.25"
  if (size <= 737_280) return 3; // 720 KiB 3.5"
  if (size <= 1_228_800) return 2; // 1.2 MiB 5.25"
  if (size <= 1_474_560) return 4; // 1.44 MiB 3.5"
  return 5; // 2.88 MiB 3.5"
}
