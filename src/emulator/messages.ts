/** Messages between the UI thread and the emulator Worker. */
export type ToWorker = { type: 'keys'; scancodes: number[] } | { type: 'serial'; bytes: number[] };

export interface ScreenUpdate {
  type: 'screen';
  text: string;
  cursor: { row: number; col: number; visible: boolean };
}

export interface StatusUpdate {
  type: 'status';
  running: boolean;
  mips: number;
  instructions: number;
  error?: string;
}

export type FromWorker = ScreenUpdate | StatusUpdate | { type: 'serial'; bytes: number[] };
