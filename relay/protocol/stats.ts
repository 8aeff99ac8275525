/**
 * `GET /stats`: the relay's counters as JSON. Counts only — never room names or topics, which are
 * capabilities (whoever knows a room's name can join it). Pure: no Node or DOM APIs.
 */

/** Every reason the relay drops a frame, a message or a connection; each is a counter in `drops`. */
export const DROP_REASONS = [
  // /net frames
  'textMessage', // a text WebSocket message on /net (frames are binary)
  'runt', // shorter than an Ethernet header (14 bytes)
  'giant', // longer than 1518 bytes
  'rateFrames', // over the sending port's frames/s budget
  'rateBytes', // over the sending port's bytes/s budget
  'queueFull', // the receiving port's send queue is full (slow receiver)
  'portClosed', // the receiving port was closing
  'badSource', // source MAC is multicast/broadcast/zero, or claims the router's MAC
  'macLimit', // a new source MAC over the per-port or per-room MAC-table cap
  'filtered', // destination MAC learned on the ingress port itself (never echo)
  'badPacket', // the router got an IPv4/ARP/UDP/ICMP/DHCP packet that failed validation
  // connections
  'badPath', // upgrade to an unknown path
  'badRoom', // invalid room name
  'roomFull', // clients-per-room cap
  'tooManyRooms', // rooms-per-server cap
  'tooManySignalClients', // signalling clients cap
  'payloadTooLarge', // a WebSocket message over the ws-level maxPayload: the connection is closed
  'pingTimeout', // no pong within the ping interval: the connection is closed
  // /signal messages
  'signalBadJson',
  'signalBadMessage',
  'signalTooLarge',
  'signalRate',
  'signalTopicLimit',
  'signalQueueFull',
] as const;

export type DropReason = (typeof DROP_REASONS)[number];
export type DropCounts = Record<DropReason, number>;

export interface RouterStats {
  /** Frames the routers received (ARP, IPv4 for or broadcast to the gateway). */
  framesIn: number;
  /** Frames the routers sent (replies). */
  framesOut: number;
  arpReplies: number;
  icmpEchoReplies: number;
  icmpUnreachables: number;
  dhcpDiscover: number;
  dhcpOffer: number;
  dhcpRequest: number;
  dhcpAck: number;
  dhcpNak: number;
  dhcpRelease: number;
  dhcpDecline: number;
  dhcpInform: number;
  /** DISCOVERs left unanswered because the pool (or the port's share of it) was exhausted. */
  dhcpPoolExhausted: number;
  /** Leases currently bound, all rooms together. */
  leases: number;
}

export interface SignalStats {
  messagesIn: number;
  messagesOut: number;
  publishes: number;
  /** Topics with at least one subscriber. */
  topics: number;
}

export interface RelayStats {
  uptimeSeconds: number;
  /** Rooms with at least one /net client. */
  rooms: number;
  /** /net clients connected. */
  clients: number;
  /** /signal clients connected. */
  signalClients: number;
  /** Connections accepted since start (/net and /signal). */
  connectionsAccepted: number;
  /** Binary and text messages received on /net, before any check. */
  framesIn: number;
  bytesIn: number;
  /** Frames sent to /net clients. */
  framesOut: number;
  bytesOut: number;
  /** Learned MAC addresses, all rooms together. */
  macEntries: number;
  router: RouterStats;
  signal: SignalStats;
  drops: DropCounts;
}

export function emptyDropCounts(): DropCounts {
  const drops = {} as DropCounts;
  for (const reason of DROP_REASONS) drops[reason] = 0;
  return drops;
}

export function emptyRouterStats(): RouterStats {
  return {
    framesIn: 0,
    framesOut: 0,
    arpReplies: 0,
    icmpEchoReplies: 0,
    icmpUnreachables: 0,
    dhcpDiscover: 0,
    dhcpOffer: 0,
    dhcpRequest: 0,
    dhcpAck: 0,
    dhcpNak: 0,
    dhcpRelease: 0,
    dhcpDecline: 0,
    dhcpInform: 0,
    dhcpPoolExhausted: 0,
    leases: 0,
  };
}
