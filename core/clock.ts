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
  constructor(
    private readonly instructions: () => number,
    private readonly nsPerInstruction = 10,
  ) {}
  now(): number {
    return this.instructions() * this.nsPerInstruction;
  }
}
