/**
 * Block devices may answer later (DESIGN §2). A trap that needs one starts the transfer and returns false;
 * the CPU executes the trap again later (interrupts may run in between), and the same request then finds
 * its result. Requests are told apart by a key made of their parameters, so nothing but the one transfer
 * in flight is kept outside guest memory — and a snapshot taken meanwhile just starts it again.
 */

export interface IoOutcome {
  buffer: Uint8Array;
  /** The device's error, when it failed. */
  error?: unknown;
}

/** The result of a task: its value, or the error it threw or rejected with. */
export interface TaskOutcome<T> {
  value?: T;
  error?: unknown;
}

interface InFlight {
  key: string;
  done: boolean;
  value?: unknown;
  error?: unknown;
}

export class AsyncIo {
  private current: InFlight | undefined;

  /**
   * Runs `op(buffer)` for `key`: the outcome at once when the device answered synchronously, undefined
   * while it is in flight (call again with the same key), then the outcome once.
   */
  perform(key: string, buffer: Uint8Array, op: (buffer: Uint8Array) => void | Promise<void>): IoOutcome | undefined {
    // The buffer the transfer was started with comes back (a repeated call brings a fresh, unused one).
    const out = this.run(key, () => {
      const r = op(buffer);
      return isPromise(r) ? r.then(() => buffer) : buffer;
    });
    return out && { buffer: out.value ?? buffer, error: out.error };
  }

  /**
   * The same for a task of several steps (e.g. boot record, catalog, image): `task()` may read devices
   * in sequence and return a value. It must not touch guest state — only the caller does, with the value,
   * once this returns it.
   */
  run<T>(key: string, task: () => T | Promise<T>): TaskOutcome<T> | undefined {
    const cur = this.current;
    if (cur && cur.key === key) {
      if (!cur.done) return undefined;
      this.current = undefined;
      return cur.error !== undefined ? { error: cur.error } : { value: cur.value as T };
    }
    let result: T | Promise<T>;
    try {
      result = task();
    } catch (error) {
      return { error };
    }
    if (!isPromise(result)) return { value: result };
    const flight: InFlight = { key, done: false };
    this.current = flight;
    result.then(
      (value) => {
        flight.value = value;
        flight.done = true;
      },
      (error: unknown) => {
        flight.error = error ?? new Error('I/O failed');
        flight.done = true;
      },
    );
    return undefined;
  }

  /** Forget the transfer in flight (machine reset). */
  cancel(): void {
    this.current = undefined;
  }
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof value === 'object' && value !== null && typeof (value as Promise<T>).then === 'function';
}
