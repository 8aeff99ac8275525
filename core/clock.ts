/**
 * Machine time in nanoseconds since power-on (DESIGN §2, "Time"). Devices ask the machine's clock;
 * they never read the host's.
 *
 * Both clocks derive time from instructions retired (plus the time the CPU spends halted), so the
 * guest sees one smooth time base: its TSC, PIT and RTC agree exactly, and pauses of the host (garbage
 * collection, yielding to the event loop) never appear to it as jumps. Linux, for one, calibrates its
 * TSC against the PIT and gives up on the TSC at the first jump it cannot explain.
 */
export interface Clock {
  now(): number;
}

/** A clock paced by instructions retired; the machine drives it. */
export abstract class InstructionClock implements Clock {
  /** Machine time at `baseInstructions`. */
  protected base = 0;
  protected baseInstructions = 0;

  constructor(
    protected readonly instructions: () => number,
    /** Virtual time one instruction takes. */
    public nsPerInstruction: number,
  ) {}

  now(): number {
    return this.base + (this.instructions() - this.baseInstructions) * this.nsPerInstruction;
  }

  /** How far a halted CPU may skip ahead towards `deadline` (ns of machine time) right now. */
  abstract idleUntil(deadline: number): number;

  /** Let `ns` pass while the CPU is halted. */
  advanceIdle(ns: number): void {
    if (ns > 0) {
      this.rebase();
      this.base += ns;
    }
  }

  /** Called by the machine after every slice; a real-time clock steers its pace here. */
  afterSlice(): void {}

  reset(): void {
    this.base = 0;
    this.baseInstructions = this.instructions();
  }

  protected rebase(): void {
    this.base = this.now();
    this.baseInstructions = this.instructions();
  }
}

/**
 * Deterministic: a fixed virtual CPU speed (10 ns per instruction) and halts that end at once at the next
 * device deadline. The same guest run gives the same timings on any host — for tests, replays and shared
 * debugging.
 */
export class DeterministicClock extends InstructionClock {
  constructor(instructions: () => number, nsPerInstruction = 10) {
    super(instructions, nsPerInstruction);
  }
  idleUntil(deadline: number): number {
    return deadline;
  }
}

/** How often (host ms) a real-time clock re-steers its pace, and how much of its lag it makes up per step. */
const STEER_MS = 50;
const CATCH_UP = 0.25;
/** Bounds on the pace, and on how much one step may change it (smoothness for the guest's calibrations). */
const MIN_NS_PER_INSTRUCTION = 0.5;
const MAX_NS_PER_INSTRUCTION = 1000;
const MAX_STEP_RATIO = 1.5;

/**
 * Real time, for users: machine time follows the host clock on average. The pace (ns per instruction) is
 * re-steered every 50 ms of host time from the speed the host actually ran at, making up a quarter of any
 * lag per step; a halted CPU skips ahead only as far as host time has passed, so timers fire on time.
 */
export class RealtimeClock extends InstructionClock {
  private readonly hostStart = performance.now();
  private lastSteerHost = this.hostStart;
  private lastSteerInstructions = 0;

  constructor(instructions: () => number, initialNsPerInstruction = 25) {
    super(instructions, initialNsPerInstruction);
  }

  /** Host time since power-on, in ns. */
  hostNow(): number {
    return (performance.now() - this.hostStart) * 1e6;
  }

  idleUntil(deadline: number): number {
    return Math.min(deadline, this.hostNow());
  }

  override afterSlice(): void {
    const host = performance.now();
    if (host - this.lastSteerHost < STEER_MS) return;
    const executed = this.instructions() - this.lastSteerInstructions;
    const hostNs = (host - this.lastSteerHost) * 1e6;
    this.rebase();
    if (executed > 0) {
      const lag = (host - this.hostStart) * 1e6 - this.base; // positive: the machine is behind the host
      const wanted = (hostNs + lag * CATCH_UP) / executed;
      const bounded = Math.min(this.nsPerInstruction * MAX_STEP_RATIO, Math.max(this.nsPerInstruction / MAX_STEP_RATIO, wanted));
      this.nsPerInstruction = Math.min(MAX_NS_PER_INSTRUCTION, Math.max(MIN_NS_PER_INSTRUCTION, bounded));
    }
    this.lastSteerHost = host;
    this.lastSteerInstructions = this.instructions();
  }

  override reset(): void {
    super.reset();
    this.base = this.hostNow();
    this.lastSteerInstructions = this.instructions();
  }
}
