/**
 * The /signal hub: y-webrtc-compatible publish/subscribe over JSON messages (the message shapes are in
 * protocol/signalling.ts). A publish goes to every subscriber of its topic, the sender included, with
 * `clients` set to their number — what y-webrtc's own server does, which y-webrtc clients rely on (they
 * skip their own messages by `data.from`). Limits: message size, messages/s per client, topics per
 * client and per server, and a bound on each receiver's unsent bytes. Everything is instance-scoped and
 * free of Node APIs: the server adapts a WebSocket to a SignalPeer.
 */
import { parseSignalMessage, type SignalPublish } from './protocol/index.js';
import type { RelayCounters } from './counters.js';
import { TokenBucket, type RelayLimits } from './limits.js';

/** One connection, as the hub sees it. */
export interface SignalPeer {
  readonly label: string;
  /** False once the connection is closing: sends are skipped. */
  readonly open: boolean;
  /** Bytes queued but not yet written to the network. */
  readonly bufferedAmount: number;
  send(text: string): void;
}

export class SignalClient {
  readonly topics = new Set<string>();

  constructor(
    readonly peer: SignalPeer,
    readonly bucket: TokenBucket,
  ) {}
}

const PONG = JSON.stringify({ type: 'pong' });

export class SignalHub {
  private readonly subscribers = new Map<string, Set<SignalClient>>();
  private readonly clients = new Set<SignalClient>();

  constructor(
    private readonly limits: RelayLimits,
    private readonly counters: RelayCounters,
    private readonly now: () => number,
  ) {}

  get clientCount(): number {
    return this.clients.size;
  }

  /** Topics with at least one subscriber. */
  get topicCount(): number {
    return this.subscribers.size;
  }

  connect(peer: SignalPeer): SignalClient {
    const client = new SignalClient(peer, TokenBucket.perSecond(this.limits.signalMessagesPerSecond, 1, this.now()));
    this.clients.add(client);
    return client;
  }

  disconnect(client: SignalClient): void {
    for (const topic of client.topics) this.leave(client, topic);
    this.clients.delete(client);
  }

  /** One message from `client`: `byteLength` on the wire, `decode` turns it into text if it is to be handled. */
  receive(client: SignalClient, byteLength: number, decode: () => string): void {
    this.counters.signal.messagesIn++;
    const label = client.peer.label;
    if (byteLength > this.limits.signalMaxMessageBytes) return this.counters.drop('signalTooLarge', `${label} sent ${byteLength} bytes`);
    if (!client.bucket.take(1, this.now())) return this.counters.drop('signalRate', label);
    const parsed = parseSignalMessage(decode());
    if (!parsed.ok) return this.counters.drop(parsed.reason === 'badJson' ? 'signalBadJson' : 'signalBadMessage', label);
    const message = parsed.message;
    switch (message.type) {
      case 'subscribe':
        for (const topic of message.topics) {
          if (!this.join(client, topic)) {
            this.counters.drop('signalTopicLimit', `${label} at ${client.topics.size} topics (${this.subscribers.size} on the relay)`);
            break;
          }
        }
        return;
      case 'unsubscribe':
        for (const topic of message.topics) if (client.topics.has(topic)) this.leave(client, topic);
        return;
      case 'publish':
        return this.publish(message);
      case 'ping':
        return this.sendTo(client, PONG);
    }
  }

  private publish(message: SignalPublish): void {
    this.counters.signal.publishes++;
    const receivers = this.subscribers.get(message.topic);
    if (receivers === undefined) return;
    message.clients = receivers.size;
    const text = JSON.stringify(message);
    for (const receiver of receivers) this.sendTo(receiver, text);
  }

  private sendTo(client: SignalClient, text: string): void {
    const peer = client.peer;
    if (!peer.open) return;
    if (peer.bufferedAmount + text.length > this.limits.maxSignalQueueBytes) return this.counters.drop('signalQueueFull', peer.label);
    peer.send(text);
    this.counters.signal.messagesOut++;
  }

  /** Subscribes; false when a topic limit refuses it. */
  private join(client: SignalClient, topic: string): boolean {
    if (client.topics.has(topic)) return true;
    if (client.topics.size >= this.limits.maxTopicsPerClient) return false;
    let set = this.subscribers.get(topic);
    if (set === undefined) {
      if (this.subscribers.size >= this.limits.maxTopics) return false;
      set = new Set();
      this.subscribers.set(topic, set);
    }
    set.add(client);
    client.topics.add(topic);
    return true;
  }

  private leave(client: SignalClient, topic: string): void {
    client.topics.delete(topic);
    const set = this.subscribers.get(topic);
    if (set === undefined) return;
    set.delete(client);
    if (set.size === 0) this.subscribers.delete(topic);
  }
}
