// The connection status machine (STYLE habit 10): what the editor shows as "connecting",
// "synced" or "offline", driven by the provider's events. Pure, so it is tested alone.

export type ConnectionStatus = 'connecting' | 'synced' | 'offline' | 'closed';

export type ConnectionEvent =
  | { type: 'connecting' }
  | { type: 'connected' }
  | { type: 'synced' }
  | { type: 'disconnected' }
  /** The server closed the connection for good (close codes 4400–4499, SPEC §5). */
  | { type: 'closed'; code: number; reason: string };

export interface ConnectionState {
  status: ConnectionStatus;
  /** Whether this session has been synced at least once. */
  everSynced: boolean;
  /** Why the connection was closed for good, for `closed`. */
  closedBecause: string | null;
}

export const INITIAL_CONNECTION: ConnectionState = { status: 'connecting', everSynced: false, closedBecause: null };

/**
 * The next state. Once a synced session drops it stays `offline` while the provider retries,
 * so the indicator does not flicker between offline and connecting; only a completed sync
 * makes it `synced` again. A closed connection stays closed.
 */
export function nextConnection(state: ConnectionState, event: ConnectionEvent): ConnectionState {
  if (state.status === 'closed') return state;
  switch (event.type) {
    case 'connecting':
    case 'connected':
      return state.status === 'offline' ? state : { ...state, status: 'connecting' };
    case 'synced':
      return { status: 'synced', everSynced: true, closedBecause: null };
    case 'disconnected':
      return { ...state, status: 'offline' };
    case 'closed':
      return { ...state, status: 'closed', closedBecause: describeClose(event.code, event.reason) };
  }
}

/** Words for a close code of SPEC §5. */
export function describeClose(code: number, reason: string): string {
  const why: Record<number, string> = {
    4401: 'your session expired or was revoked; log in again',
    4403: 'you are no longer allowed into this book',
    4413: 'a message was too large',
    4429: 'too many messages were sent too quickly',
  };
  const base = why[code] ?? `the server closed the connection (${code})`;
  return reason ? `${base}: ${reason}` : base;
}
