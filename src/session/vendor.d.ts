/** The parts of simple-peer's browser bundle we use (it ships no types; y-webrtc's own types are used). */

declare module 'simple-peer/simplepeer.min.js' {
  export interface SimplePeerOptions {
    initiator?: boolean;
    trickle?: boolean;
    config?: RTCConfiguration;
    channelConfig?: RTCDataChannelInit;
  }
  export type SignalData = { type?: string; sdp?: string; candidate?: unknown };
  export default class SimplePeer {
    constructor(options?: SimplePeerOptions);
    readonly connected: boolean;
    readonly destroyed: boolean;
    /** Bytes buffered in the data channel. */
    readonly bufferSize: number;
    signal(data: SignalData | string): void;
    send(data: Uint8Array | string): void;
    destroy(error?: Error): void;
    on(event: 'signal', f: (data: SignalData) => void): this;
    on(event: 'connect' | 'close', f: () => void): this;
    on(event: 'data', f: (data: Uint8Array) => void): this;
    on(event: 'error', f: (error: Error) => void): this;
    removeListener(event: 'data', f: (data: Uint8Array) => void): this;
  }
}
