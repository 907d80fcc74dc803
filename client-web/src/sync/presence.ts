// Presence on a book: who is here, where their pointer is and what they selected, carried in
// y-protocols awareness (SPEC §5). The server stamps each state's `user` with the
// authenticated {id, name, color}, so the names shown cannot be forged.

import type { Awareness } from 'y-protocols/awareness';

export interface PresenceUser {
  id: string;
  name: string;
  color: string;
}

/** A pointer on a page, in the page's relative coordinates (SPEC §6.1). */
export interface Cursor {
  page: string;
  x: number;
  y: number;
}

export interface Selection {
  page: string;
  item: string;
}

/** What one client shares. */
export interface PresenceState {
  user?: PresenceUser;
  cursor?: Cursor | null;
  selection?: Selection | null;
}

/** Another client on the book. */
export interface Peer {
  clientId: number;
  user: PresenceUser;
  cursor: Cursor | null;
  selection: Selection | null;
}

/** A stable colour for a user id when the server has not stamped one yet. */
export function colorFor(id: string): string {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return `hsl(${h % 360} 70% 45%)`;
}

function validCursor(c: unknown): Cursor | null {
  if (!c || typeof c !== 'object') return null;
  const { page, x, y } = c as Record<string, unknown>;
  return typeof page === 'string' && typeof x === 'number' && typeof y === 'number' && Number.isFinite(x) && Number.isFinite(y) ? { page, x, y } : null;
}

function validSelection(s: unknown): Selection | null {
  if (!s || typeof s !== 'object') return null;
  const { page, item } = s as Record<string, unknown>;
  return typeof page === 'string' && typeof item === 'string' ? { page, item } : null;
}

/** The other clients' presence, one entry per client, sorted by name. */
export function peersOf(awareness: Awareness): Peer[] {
  const peers: Peer[] = [];
  awareness.getStates().forEach((raw, clientId) => {
    if (clientId === awareness.clientID) return;
    const state = raw as PresenceState;
    const u = state.user;
    if (!u || typeof u.id !== 'string') return;
    peers.push({
      clientId,
      user: { id: u.id, name: typeof u.name === 'string' ? u.name : 'someone', color: typeof u.color === 'string' ? u.color : colorFor(u.id) },
      cursor: validCursor(state.cursor),
      selection: validSelection(state.selection),
    });
  });
  return peers.sort((a, b) => a.user.name.localeCompare(b.user.name) || a.clientId - b.clientId);
}

/** Shares this client's pointer (null when it left the pages). */
export function setCursor(awareness: Awareness, cursor: Cursor | null): void {
  awareness.setLocalStateField('cursor', cursor);
}

/** Shares this client's selected item. */
export function setSelection(awareness: Awareness, selection: Selection | null): void {
  awareness.setLocalStateField('selection', selection);
}
