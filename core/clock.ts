/**
 * Machine time in nanoseconds since power-on (DESIGN §2, "Time"). Devices ask the machine's clock;
 * they never read the host's.
 */
export interface Clock {
  now(): number;
}

/** Follows the host clock: for users. */
export class RealtimeClock implements Clock {
  private readonly start = performance.now();
  now(): number {
    return (performance.now() - this.start) * 1e6;
  }
}

/**
 * Derived from instructions retired: the same guest run gives the same timings on any host, which
 * tests, replays and shared debugging need. `nsPerInstruction` sets the virtual CPU speed.
 */
export class DeterministicClock implements Clock {
  /** Time the CPU spent halted: no instructions retire then, so the machine adds it here. */
  private idle = 0;
  constructor(
    private readonly instructions: () => number,
    readonly nsPerInstruction = 10,
  ) {}
  now(): number {
    return this.instructions() * this.nsPerInstruction + this.idle;
  }
  /** Skip ahead while halted, to the next device deadline. */
  advanceIdle(ns: number): void {
    if (ns > 0) this.idle += ns;
  }
  reset(): void {
    this.idle = 0;
  }
}
