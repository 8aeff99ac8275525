/**
 * One room's learning switch. Ports are WebSocket clients and, when enabled, the room's router. Source
 * MACs are learned per port (with ageing and caps, so spoofed sources cannot fill the table); unicast
 * goes to the learned port; broadcast, multicast and unknown unicast are flooded to every port but the
 * ingress one; a frame is never sent back where it came from. Frames are forwarded as the same
 * Uint8Array, never copied or modified. No Node APIs: times are milliseconds passed in.
 */
import { ETH_HEADER_BYTES, isGroupMacAt, macKeyAt, macKeyToString, type MacKey } from './protocol/index.js';
import type { RelayCounters } from './counters.js';
import type { PortRateLimiter, RelayLimits } from './limits.js';

/** Where a port's outgoing frames go. `deliver` counts its own drops (slow receiver, closing). */
export interface FrameSink {
  deliver(frame: Uint8Array, from: SwitchPort): void;
}

export class SwitchPort {
  /** MACs currently learned on this port. */
  readonly macs = new Set<MacKey>();

  constructor(
    readonly id: number,
    /** For logs: "room/port 7 (1.2.3.4)". */
    readonly label: string,
    readonly sink: FrameSink,
    /** null for the router's own port, which is trusted. */
    readonly limiter: PortRateLimiter | null,
  ) {}
}

interface MacEntry {
  port: SwitchPort;
  seenAt: number;
  /** Static entries (the router's MAC) never age and never move. */
  fixed: boolean;
}

export class LearningSwitch {
  /** Replaced, never mutated, on attach/detach: a flood iterates a stable array with no copy per frame. */
  private ports: readonly SwitchPort[] = [];
  private readonly table = new Map<MacKey, MacEntry>();
  private readonly ageMs: number;
  private lastRoomSweep = -Infinity;
  private staticCount = 0;

  constructor(
    readonly name: string,
    private readonly limits: RelayLimits,
    private readonly counters: RelayCounters,
  ) {
    this.ageMs = limits.macAgeingSeconds * 1000;
  }

  get portCount(): number {
    return this.ports.length;
  }

  /** MACs learned from traffic (static entries not included). */
  get macCount(): number {
    return this.table.size - this.staticCount;
  }

  attach(port: SwitchPort): void {
    this.ports = [...this.ports, port];
  }

  detach(port: SwitchPort): void {
    this.ports = this.ports.filter((p) => p !== port);
    for (const mac of port.macs) {
      if (this.table.get(mac)?.fixed) this.staticCount--;
      this.table.delete(mac);
    }
    port.macs.clear();
  }

  /** Pins `mac` to `port` (the router's address): it never ages, and frames claiming it from elsewhere are dropped. */
  addStaticMac(port: SwitchPort, mac: MacKey): void {
    this.table.set(mac, { port, seenAt: 0, fixed: true });
    port.macs.add(mac);
    this.staticCount++;
  }

  /** A frame arrived on `port` (its length already checked: 14..1518 bytes). */
  input(port: SwitchPort, frame: Uint8Array, now: number): void {
    if (port.limiter) {
      const refused = port.limiter.admit(frame.length, now);
      if (refused) return this.counters.drop(refused, port.label);
    }
    if (!this.learn(port, frame, now)) return;

    if (isGroupMacAt(frame, 0)) return this.flood(port, frame);
    const destination = this.table.get(macKeyAt(frame, 0));
    if (destination === undefined) return this.flood(port, frame);
    if (!destination.fixed && now - destination.seenAt > this.ageMs) {
      this.forget(macKeyAt(frame, 0), destination);
      return this.flood(port, frame);
    }
    if (destination.port === port) return this.counters.drop('filtered', port.label);
    destination.port.sink.deliver(frame, port);
  }

  /** Forgets MACs not heard from within the ageing time. */
  sweep(now: number): void {
    for (const [mac, entry] of this.table) {
      if (!entry.fixed && now - entry.seenAt > this.ageMs) this.forget(mac, entry);
    }
  }

  private flood(from: SwitchPort, frame: Uint8Array): void {
    const ports = this.ports;
    for (let i = 0; i < ports.length; i++) {
      const port = ports[i];
      if (port !== from) port.sink.deliver(frame, from);
    }
  }

  /** Learns the frame's source on `port`; false when the frame must be dropped (already counted). */
  private learn(port: SwitchPort, frame: Uint8Array, now: number): boolean {
    if (frame.length < ETH_HEADER_BYTES) return false;
    const source = macKeyAt(frame, 6);
    if (isGroupMacAt(frame, 6) || source === 0) {
      this.counters.drop('badSource', `${port.label} sent from ${macKeyToString(source)}`);
      return false;
    }
    const entry = this.table.get(source);
    if (entry !== undefined && entry.port === port) {
      entry.seenAt = now;
      return true;
    }
    if (entry !== undefined && entry.fixed) {
      this.counters.drop('badSource', `${port.label} claims the router's MAC ${macKeyToString(source)}`);
      return false;
    }
    if (!this.roomForNewMac(port, now, entry === undefined)) {
      this.counters.drop('macLimit', `${port.label} new source ${macKeyToString(source)} (${port.macs.size} on port, ${this.table.size} in room)`);
      return false;
    }
    const moved = this.table.get(source); // re-read: making room may have aged the old entry out
    if (moved !== undefined) {
      // The address moved (a VM reconnected on a new socket before the old one closed).
      moved.port.macs.delete(source);
      moved.port = port;
      moved.seenAt = now;
    } else {
      this.table.set(source, { port, seenAt: now, fixed: false });
    }
    port.macs.add(source);
    return true;
  }

  /** Whether `port` may learn one more MAC, forgetting aged entries first when a cap is reached. */
  private roomForNewMac(port: SwitchPort, now: number, growsTable: boolean): boolean {
    if (port.macs.size >= this.limits.maxMacsPerPort) {
      for (const mac of port.macs) {
        const entry = this.table.get(mac);
        if (entry && !entry.fixed && now - entry.seenAt > this.ageMs) this.forget(mac, entry);
      }
      if (port.macs.size >= this.limits.maxMacsPerPort) return false;
    }
    if (growsTable && this.table.size >= this.limits.maxMacsPerRoom) {
      // A whole-table sweep at most once a second, so a spoofing port cannot make every frame O(table).
      if (now - this.lastRoomSweep >= 1000) {
        this.lastRoomSweep = now;
        this.sweep(now);
      }
      if (this.table.size >= this.limits.maxMacsPerRoom) return false;
    }
    return true;
  }

  private forget(mac: MacKey, entry: MacEntry): void {
    this.table.delete(mac);
    entry.port.macs.delete(mac);
  }
}
