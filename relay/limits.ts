/**
 * The relay's limits, their defaults, and the token buckets that enforce rates. Every limit is a counter
 * in /stats when it bites (see protocol/stats.ts). No Node APIs: times are milliseconds passed in.
 */

export interface RelayLimits {
  /** Rooms (with at least one /net client) per server. */
  maxRooms: number;
  /** /net clients per room. */
  maxClientsPerRoom: number;
  /** /signal clients per server. */
  maxSignalClients: number;
  /** ws-level cap on one WebSocket message (both endpoints); a bigger message closes the connection (1009). */
  wsMaxPayloadBytes: number;
  /** Frames/s one /net port may send (token bucket; Infinity = unlimited). */
  portFramesPerSecond: number;
  /** Bytes/s one /net port may send (token bucket; Infinity = unlimited). */
  portBytesPerSecond: number;
  /** Bucket depth in seconds of rate: how long a port may burst at any speed. */
  portBurstSeconds: number;
  /** A /net client's unsent bytes (ws bufferedAmount) above which frames to it are dropped. */
  maxSendQueueBytes: number;
  /** Source MACs learned per port; frames from further new MACs are dropped. */
  maxMacsPerPort: number;
  /** Source MACs learned per room. */
  maxMacsPerRoom: number;
  /** A learned MAC is forgotten after this long without a frame from it. */
  macAgeingSeconds: number;
  /** Topics one /signal client may be subscribed to. */
  maxTopicsPerClient: number;
  /** Topics (with subscribers) per server. */
  maxTopics: number;
  /** Largest /signal message handled; bigger ones are dropped and counted (the connection stays). */
  signalMaxMessageBytes: number;
  /** Messages/s one /signal client may send (token bucket, burst of one second). */
  signalMessagesPerSecond: number;
  /** A /signal client's unsent bytes above which messages to it are dropped. */
  maxSignalQueueBytes: number;
  /** WebSocket ping interval; a client that has not answered the previous ping is closed. */
  pingIntervalSeconds: number;
}

export const DEFAULT_RELAY_LIMITS: Readonly<RelayLimits> = Object.freeze({
  maxRooms: 256,
  maxClientsPerRoom: 64,
  maxSignalClients: 1024,
  wsMaxPayloadBytes: 64 * 1024,
  portFramesPerSecond: 5000,
  portBytesPerSecond: 8 * 1024 * 1024,
  portBurstSeconds: 0.5,
  maxSendQueueBytes: 512 * 1024,
  maxMacsPerPort: 16,
  maxMacsPerRoom: 1024,
  macAgeingSeconds: 300,
  maxTopicsPerClient: 32,
  maxTopics: 4096,
  signalMaxMessageBytes: 32 * 1024,
  signalMessagesPerSecond: 200,
  maxSignalQueueBytes: 1024 * 1024,
  pingIntervalSeconds: 30,
});

/** Defaults overridden by `partial`; throws a clear error on a value that is not a positive number. */
export function resolveLimits(partial: Partial<RelayLimits> = {}): RelayLimits {
  const limits: RelayLimits = { ...DEFAULT_RELAY_LIMITS };
  for (const key of Object.keys(partial) as (keyof RelayLimits)[]) {
    if (!(key in DEFAULT_RELAY_LIMITS)) throw new Error(`unknown relay limit: ${String(key)}`);
    const value = partial[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || Number.isNaN(value) || value <= 0) {
      throw new Error(`relay limit ${key} must be a positive number, got ${String(value)}`);
    }
    limits[key] = value;
  }
  if (!Number.isFinite(limits.wsMaxPayloadBytes)) throw new Error('relay limit wsMaxPayloadBytes must be finite');
  return limits;
}

/**
 * A token bucket: `rate` tokens per second, holding at most `capacity`. An infinite rate never refuses.
 * Refilled lazily from the caller's clock, so it costs nothing while idle.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly capacity: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.last = now;
  }

  /** Tokens available at `now` (ms). */
  available(now: number): number {
    if (now > this.last) {
      this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) * this.rate) / 1000);
      this.last = now;
    }
    return this.tokens;
  }

  /** Takes `amount` tokens if available at `now`; returns whether it did. */
  take(amount: number, now: number): boolean {
    if (this.rate === Infinity) return true;
    if (this.available(now) < amount) return false;
    this.tokens -= amount;
    return true;
  }

  static perSecond(rate: number, burstSeconds: number, now: number): TokenBucket {
    // At least one whole token, so a rate below 1/burst still lets something through.
    return new TokenBucket(rate, Math.max(1, rate * burstSeconds), now);
  }
}

/** A /net port's two budgets: frames/s and bytes/s. A frame passes only if both have room; it then costs both. */
export class PortRateLimiter {
  private readonly frames: TokenBucket;
  private readonly bytes: TokenBucket;
  private readonly unlimited: boolean;

  constructor(limits: RelayLimits, now: number) {
    this.frames = TokenBucket.perSecond(limits.portFramesPerSecond, limits.portBurstSeconds, now);
    this.bytes = TokenBucket.perSecond(limits.portBytesPerSecond, limits.portBurstSeconds, now);
    this.unlimited = limits.portFramesPerSecond === Infinity && limits.portBytesPerSecond === Infinity;
  }

  /** null if a frame of `length` bytes may pass at `now`, else which budget refused it. */
  admit(length: number, now: number): 'rateFrames' | 'rateBytes' | null {
    if (this.unlimited) return null;
    if (this.frames.available(now) < 1) return 'rateFrames';
    if (this.bytes.available(now) < length) return 'rateBytes';
    this.frames.take(1, now);
    this.bytes.take(length, now);
    return null;
  }
}
