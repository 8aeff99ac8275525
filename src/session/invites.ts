import { proofFor, type Role } from './control.js';

/**
 * A session's links, each an invite the host can ban (docs/PROTOCOL.md, "The link"). Every link carries an
 * invite number and its own random key; a guest proves which link it holds with
 * `<n>:<hex SHA-256 of co86-session:<key>:<clientID>>` (bound to its Yjs client, so copying another guest's
 * proof earns nothing). Kicking a guest bans the invite it joined with: whoever opens that link again —
 * under any new client id — is refused (not admitted, no screen, input dropped), while guests on other
 * links stay. Viewers hold view-only invites, so they can be banned too. A guest without a valid proof of
 * a live invite is refused.
 */
export interface Invite {
  n: number;
  key: string;
  /** A view-only link: it earns 'viewer'. */
  view: boolean;
  banned: boolean;
}

export function randomToken(bytes: number): string {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  return [...b].map((v) => v.toString(36).padStart(2, '0')).join('').slice(0, bytes * 2);
}

/** What a guest writes as its proof for invite `n` with `key`. */
export async function inviteProof(n: number, key: string, id: number): Promise<string> {
  return `${n}:${await proofFor(key, id)}`;
}

const PROOF = /^(\d{1,9}):([0-9a-f]{64})$/;

export class Invites {
  private readonly table = new Map<number, Invite>();
  /** The invite each admitted client proved. */
  private readonly joinedWith = new Map<number, number>();
  private next = 1;

  create(view: boolean): Invite {
    const invite = { n: this.next++, key: randomToken(16), view, banned: false };
    this.table.set(invite.n, invite);
    return invite;
  }

  /** HostControl's `verify`: the role this proof earns for client `id`, or 'refused'. */
  async verify(id: number, proof: string | undefined): Promise<Role | 'refused'> {
    const m = PROOF.exec(proof ?? '');
    const invite = m ? this.table.get(Number(m[1])) : undefined;
    if (!m || !invite || invite.banned) return 'refused';
    const expected = await proofFor(invite.key, id);
    if (m[2] !== expected || invite.banned) return 'refused'; // banned meanwhile: still refused
    this.joinedWith.set(id, invite.n);
    return invite.view ? 'viewer' : 'guest';
  }

  /** Ban the invite client `id` joined with; returns it and every client admitted with it (to kick them all). */
  ban(id: number): { invite?: Invite; clients: number[] } {
    const n = this.joinedWith.get(id);
    const invite = n === undefined ? undefined : this.table.get(n);
    if (!invite) return { clients: [id] };
    invite.banned = true;
    const clients = [...this.joinedWith].filter(([, with_]) => with_ === invite.n).map(([client]) => client);
    return { invite, clients };
  }
}
