import { checkStateVersion, type Device, type DeviceState } from '../device.js';
import type { Pit8254 } from './pit8254.js';

const STATE_VERSION = 1;
/** Tones outside this band are not heard (and programs use ultrasonic counts as "silence"). */
const AUDIBLE_MIN_HZ = 20;
const AUDIBLE_MAX_HZ = 20_000;

export interface PcSpeakerOptions {
  /** The PIT: channel 2 drives the speaker through port 61h bits 0 (gate) and 1 (speaker data). */
  pit: Pit8254;
  onTone?: (hz: number) => void;
}

/**
 * The PC speaker. Port 61h and PIT channel 2 stay in pit8254.ts (they are one circuit there: gate 2,
 * OUT2 read-back, the refresh toggle); this turns the PIT's square wave into the one event a sound
 * output needs: `onTone(hz)` whenever the audible tone starts, stops (hz = 0) or changes frequency.
 * A tone is audible when port 61h has bits 0 and 1 set and channel 2 runs a square wave (mode 3)
 * between 20 Hz and 20 kHz. Toggling bit 1 by hand (PWM sound) makes no tone event.
 */
export class PcSpeaker implements Device {
  readonly name = 'speaker';
  onTone?: (hz: number) => void;
  private tone = 0;
  private readonly pit: Pit8254;

  constructor(options: PcSpeakerOptions) {
    this.onTone = options.onTone;
    this.pit = options.pit;
    options.pit.onSpeaker = (on, hz) => this.update(on ? hz : 0);
    const now = options.pit.speaker();
    this.tone = this.audible(now.on ? now.hz : 0);
  }

  /** The tone sounding now (Hz), or 0. */
  get frequency(): number {
    return this.tone;
  }

  private audible(hz: number): number {
    return hz >= AUDIBLE_MIN_HZ && hz <= AUDIBLE_MAX_HZ ? hz : 0;
  }

  private update(hz: number): void {
    const tone = this.audible(hz);
    if (tone === this.tone) return;
    this.tone = tone;
    this.onTone?.(tone);
  }

  /** The speaker follows the PIT and port 61h, whose reset silences it. */
  reset(): void {}

  /** Stateless: the tone is derived from the PIT's state. Load it after the PIT: it re-reads the tone and reports a change. */
  saveState(): DeviceState {
    return { version: STATE_VERSION };
  }

  loadState(state: DeviceState): void {
    checkStateVersion(this.name, state, STATE_VERSION);
    const now = this.pit.speaker();
    this.update(now.on ? now.hz : 0);
  }
}
