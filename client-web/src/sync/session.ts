// A live book session: the Y.Doc, the y-websocket provider, presence and the connection
// status (SPEC §5, §13). When the server refuses a write (PermissionDenied) the session
// keeps the reason, drops its local doc and resyncs from the server, as SPEC §5 asks.

import * as authProtocol from 'y-protocols/auth';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';

import { BookDoc, type Role } from './book';
import { peersOf, setCursor, setSelection, type Cursor, type Peer, type PresenceUser, type Selection } from './presence';
import { INITIAL_CONNECTION, nextConnection, type ConnectionEvent, type ConnectionState } from './status';

const MESSAGE_AUTH = 2;

export interface SessionOptions {
  /** `ws://host` or `wss://host`; the session connects to `<serverUrl>/ws/projects/<id>`. */
  serverUrl: string;
  projectId: string;
  token: string;
  user: PresenceUser;
  role: Role;
  /** For tests: a WebSocket implementation. */
  WebSocketImpl?: typeof WebSocket;
}

export interface SessionSnapshot {
  connection: ConnectionState;
  /** The last reason the server gave for refusing a write, until dismissed. */
  denied: string | null;
  /** Increases every time the local doc was dropped and resynced. */
  resyncs: number;
}

export class BookSession {
  book: BookDoc;
  provider: WebsocketProvider;
  private readonly opts: SessionOptions;
  private snapshot: SessionSnapshot = { connection: INITIAL_CONNECTION, denied: null, resyncs: 0 };
  private readonly listeners = new Set<() => void>();
  private readonly peerListeners = new Set<() => void>();
  private peerCache: Peer[] = [];
  private local: { cursor: Cursor | null; selection: Selection | null } = { cursor: null, selection: null };
  private destroyed = false;

  constructor(opts: SessionOptions) {
    this.opts = opts;
    this.book = new BookDoc(opts.user.id, opts.role);
    this.provider = this.connect(this.book.doc);
  }

  get doc(): Y.Doc {
    return this.book.doc;
  }

  get awareness(): awarenessProtocol.Awareness {
    return this.provider.awareness;
  }

  getSnapshot = (): SessionSnapshot => this.snapshot;

  /** Called on status, denial and resync changes (not on document changes: see BookDoc). */
  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getPeers = (): Peer[] => this.peerCache;

  subscribePeers = (listener: () => void): (() => void) => {
    this.peerListeners.add(listener);
    return () => this.peerListeners.delete(listener);
  };

  setRole(role: Role): void {
    this.book.role = role;
    this.opts.role = role;
    this.emit();
  }

  setCursor(cursor: Cursor | null): void {
    this.local.cursor = cursor;
    setCursor(this.awareness, cursor);
  }

  setSelection(selection: Selection | null): void {
    this.local.selection = selection;
    setSelection(this.awareness, selection);
  }

  dismissDenied(): void {
    this.update({ denied: null });
  }

  /** Goes offline on purpose (the provider stops reconnecting) or back online. */
  setOnline(online: boolean): void {
    if (online) this.provider.connect();
    else this.provider.disconnect();
  }

  destroy(): void {
    this.destroyed = true;
    this.provider.awareness.destroy();
    this.provider.destroy();
    this.book.doc.destroy();
    this.listeners.clear();
    this.peerListeners.clear();
  }

  /**
   * Drops the local doc, with any edit the server has not accepted, and syncs a fresh one.
   * Edits still waiting offline are lost with it: the server refused what this doc holds.
   */
  resync(): void {
    if (this.destroyed) return;
    this.provider.awareness.destroy();
    this.provider.destroy();
    this.book.doc.destroy();
    this.book = new BookDoc(this.opts.user.id, this.opts.role);
    this.provider = this.connect(this.book.doc);
    this.update({ connection: INITIAL_CONNECTION, resyncs: this.snapshot.resyncs + 1 });
  }

  private connect(doc: Y.Doc): WebsocketProvider {
    const awareness = new awarenessProtocol.Awareness(doc);
    awareness.setLocalState({ user: this.opts.user, cursor: this.local.cursor, selection: this.local.selection });
    const provider = new WebsocketProvider(`${this.opts.serverUrl}/ws/projects`, this.opts.projectId, doc, {
      params: { token: this.opts.token },
      awareness,
      disableBc: true,
      ...(this.opts.WebSocketImpl ? { WebSocketPolyfill: this.opts.WebSocketImpl } : {}),
    });
    provider.messageHandlers[MESSAGE_AUTH] = (_encoder: encoding.Encoder, decoder: decoding.Decoder) => {
      authProtocol.readAuthMessage(decoder, doc, (_doc, reason) => {
        // Not inside the provider's message handler: the resync destroys the provider.
        setTimeout(() => this.onDenied(reason), 0);
      });
    };
    const feed = (event: ConnectionEvent) => {
      if (provider !== this.provider) return;
      this.update({ connection: nextConnection(this.snapshot.connection, event) });
    };
    provider.on('status', ({ status }) => feed({ type: status }));
    provider.on('sync', (synced: boolean) => {
      if (synced) feed({ type: 'synced' });
    });
    provider.on('closed', ({ code, reason }) => feed({ type: 'closed', code, reason }));
    awareness.on('change', () => {
      if (provider !== this.provider) return;
      this.peerCache = peersOf(awareness);
      this.peerListeners.forEach((l) => l());
    });
    return provider;
  }

  private onDenied(reason: string): void {
    if (this.destroyed) return;
    this.update({ denied: reason || 'the server refused the change' });
    this.resync();
  }

  private update(patch: Partial<SessionSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...patch };
    this.emit();
  }

  private emit(): void {
    this.listeners.forEach((l) => l());
  }
}
