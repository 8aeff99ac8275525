/**
 * One relay's counters (instance-scoped: two relays in one process count apart) and its throttled drop
 * log: every drop is counted, and logged at most once per reason per second with a count of the rest,
 * so a flood cannot flood the log too. No Node APIs.
 */
import { emptyDropCounts, emptyRouterStats, type DropReason, type RelayStats } from './protocol/index.js';

export type Log = (line: string) => void;

const LOG_INTERVAL_MS = 1000;

export class RelayCounters {
  framesIn = 0;
  bytesIn = 0;
  framesOut = 0;
  bytesOut = 0;
  connectionsAccepted = 0;
  readonly drops = emptyDropCounts();
  readonly router = emptyRouterStats();
  readonly signal = { messagesIn: 0, messagesOut: 0, publishes: 0 };
  private readonly lastLogged = new Map<DropReason, number>();
  private readonly suppressed = new Map<DropReason, number>();

  constructor(
    readonly log: Log,
    private readonly now: () => number,
  ) {}

  /** Counts one drop for `reason`; `detail` (who, what) goes to the log unless throttled. */
  drop(reason: DropReason, detail: string): void {
    this.drops[reason]++;
    const now = this.now();
    const last = this.lastLogged.get(reason);
    if (last !== undefined && now - last < LOG_INTERVAL_MS) {
      this.suppressed.set(reason, (this.suppressed.get(reason) ?? 0) + 1);
      return;
    }
    const skipped = this.suppressed.get(reason) ?? 0;
    this.suppressed.set(reason, 0);
    this.lastLogged.set(reason, now);
    this.log(`drop ${reason}: ${detail}${skipped ? ` (+${skipped} more since last logged)` : ''}`);
  }

  /** A JSON-ready copy; the server fills the gauges (rooms, clients, ...) it alone knows. */
  snapshot(gauges: Pick<RelayStats, 'uptimeSeconds' | 'rooms' | 'clients' | 'signalClients' | 'macEntries'> & { leases: number; topics: number }): RelayStats {
    return {
      uptimeSeconds: gauges.uptimeSeconds,
      rooms: gauges.rooms,
      clients: gauges.clients,
      signalClients: gauges.signalClients,
      connectionsAccepted: this.connectionsAccepted,
      framesIn: this.framesIn,
      bytesIn: this.bytesIn,
      framesOut: this.framesOut,
      bytesOut: this.bytesOut,
      macEntries: gauges.macEntries,
      router: { ...this.router, leases: gauges.leases },
      signal: { ...this.signal, topics: gauges.topics },
      drops: { ...this.drops },
    };
  }
}
