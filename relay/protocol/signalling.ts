/**
 * /signal: y-webrtc-compatible signalling. Each WebSocket message is one JSON object with a string `type`:
 *
 *   1 subscribe    client → relay  { type: 'subscribe', topics: string[] }
 *   2 unsubscribe  client → relay  { type: 'unsubscribe', topics: string[] }
 *   3 publish      client → relay  { type: 'publish', topic: string, ...any other fields }
 *                  relay → every subscriber of `topic` (the sender too, if subscribed), unchanged but
 *                  for an added `clients`: the number of subscribers it went to.
 *   4 ping         client → relay  { type: 'ping' }
 *   5 pong         relay → client  { type: 'pong' }
 *
 * y-webrtc publishes `{ type: 'publish', topic: <room name>, data: <announce/signal object or encrypted
 * base64 string> }` and ignores its own messages by `data.from`; the relay never looks inside `data`.
 * Pure: no Node or DOM APIs, so the browser app can import it.
 */

export const SignalType = {
  subscribe: 'subscribe',
  unsubscribe: 'unsubscribe',
  publish: 'publish',
  ping: 'ping',
  pong: 'pong',
} as const;

/** The numbers PROTOCOL.md uses for the message types (JSON carries the names). */
export const SIGNAL_TYPE_NUMBERS = { subscribe: 1, unsubscribe: 2, publish: 3, ping: 4, pong: 5 } as const;

/** Longest topic the relay accepts (y-webrtc topics are room names). */
export const SIGNAL_MAX_TOPIC_LENGTH = 256;
/** Most topics one subscribe/unsubscribe message may list. */
export const SIGNAL_MAX_TOPICS_PER_MESSAGE = 64;

export interface SignalSubscribe {
  type: 'subscribe';
  topics: string[];
}
export interface SignalUnsubscribe {
  type: 'unsubscribe';
  topics: string[];
}
export interface SignalPublish {
  type: 'publish';
  topic: string;
  /** Added by the relay on the way out. */
  clients?: number;
  [field: string]: unknown;
}
export interface SignalPing {
  type: 'ping';
}
export interface SignalPong {
  type: 'pong';
}
export type SignalClientMessage = SignalSubscribe | SignalUnsubscribe | SignalPublish | SignalPing;
export type SignalMessage = SignalClientMessage | SignalPong;

export type SignalParseResult =
  | { ok: true; message: SignalClientMessage }
  | { ok: false; reason: 'badJson' | 'badMessage' };

export function isValidTopic(topic: unknown): topic is string {
  return typeof topic === 'string' && topic.length > 0 && topic.length <= SIGNAL_MAX_TOPIC_LENGTH;
}

/**
 * Parses one client→relay message. Malformed JSON is 'badJson'; JSON that is not one of the client
 * messages above is 'badMessage'. Invalid entries in `topics` are skipped, as y-webrtc's server does.
 */
export function parseSignalMessage(text: string): SignalParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'badJson' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'badMessage' };
  const record = value as Record<string, unknown>;
  switch (record.type) {
    case 'subscribe':
    case 'unsubscribe': {
      const topics = record.topics;
      if (!Array.isArray(topics) || topics.length > SIGNAL_MAX_TOPICS_PER_MESSAGE) return { ok: false, reason: 'badMessage' };
      return { ok: true, message: { type: record.type, topics: topics.filter(isValidTopic) } };
    }
    case 'publish':
      if (!isValidTopic(record.topic)) return { ok: false, reason: 'badMessage' };
      return { ok: true, message: record as SignalPublish };
    case 'ping':
      return { ok: true, message: { type: 'ping' } };
    default:
      return { ok: false, reason: 'badMessage' };
  }
}

export function encodeSignalMessage(message: SignalMessage): string {
  return JSON.stringify(message);
}
