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

interface InFlight {
  key: string;
  buffer: Uint8Array;
  done: boolean;
  error?: unknown;
}

export class AsyncIo {
  private current: InFlight | undefined;

  /**
   * Runs `op(buffer)` for `key`: the outcome at once when the device answered synchronously, undefined
   * while it is in flight (call again with the same key), then the outcome once.
   */
  perform(key: string, buffer: Uint8Array, op: (buffer: Uint8Array) => void | Promise<void>): IoOutcome | undefined {
    const cur = this.current;
    if (cur && cur.key === key) {
      if (!cur.done) return undefined;
      this.current = undefined;
      return { buffer: cur.buffer, error: cur.error };
    }
    let result: void | Promise<void>;
    try {
      result = op(buffer);
    } catch (error) {
      return { buffer, error };
    }
    if (!result || typeof (result as Promise<void>).then !== 'function') return { buffer };
    const flight: InFlight = { key, buffer, done: false };
    this.current = flight;
    (result as Promise<void>).then(
      () => (flight.done = true),
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
