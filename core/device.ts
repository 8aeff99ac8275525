/**
 * What every device on the board has in common (DESIGN §2, STYLE "lifecycle verbs", "named, versioned
 * state"). A device is instance-scoped: two machines in one process never share one.
 */

/** A device's saved state: a format version plus named fields (numbers, booleans, strings, typed arrays, plain objects). */
export interface DeviceState {
  readonly version: number;
  readonly [field: string]: unknown;
}

export interface Device {
  /** Stable name; the key of this device's state in a snapshot. */
  readonly name: string;
  /** Power-on / hardware reset state. */
  reset(): void;
  saveState(): DeviceState;
  /** Restores a state from saveState(); throws a clear error on a version it cannot read. Recomputes derived caches. */
  loadState(state: DeviceState): void;
}

/** A device with timed behaviour. `tick` runs pending work up to `now` and returns when it next wants to run (ns), or Infinity. */
export interface TimedDevice extends Device {
  tick(now: number): number;
}

/** An interrupt request line into the PIC: the device drives its level; the 8259 detects edges or levels. */
export type IrqLine = (level: boolean) => void;

/** Thrown by loadState on a state it cannot read. */
export function checkStateVersion(device: string, state: DeviceState, version: number): void {
  if (!state || state.version !== version) {
    throw new Error(`${device}: cannot load state version ${state?.version}; this build reads version ${version}`);
  }
}
