// An in-memory y-websocket server for the sync module's tests: the provider talks to it
// through a fake WebSocket. It speaks SPEC §5's subset that matters to the client: SyncStep1
// on connect, relaying updates and awareness, and PermissionDenied for read-only tokens.

import * as authProtocol from 'y-protocols/auth';
import * as syncProtocol from 'y-protocols/sync';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';

const SYNC = 0;
const AWARENESS = 1;
const AUTH = 2;

export class FakeServer {
  readonly doc = new Y.Doc();
  readonly readOnlyTokens = new Set<string>();
  readonly sockets = new Set<FakeSocket>();
  denials = 0;

  constructor() {
    this.doc.on('update', (update: Uint8Array, origin: unknown) => {
      const enc = encoding.createEncoder();
      encoding.writeVarUint(enc, SYNC);
      syncProtocol.writeUpdate(enc, update);
      const msg = encoding.toUint8Array(enc);
      for (const s of this.sockets) if (s !== origin) s.deliver(msg);
    });
  }

  /** A WebSocket class bound to this server, for SessionOptions.WebSocketImpl. */
  get WebSocket(): typeof WebSocket {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const server = this;
    return class extends FakeSocket {
      constructor(url: string) {
        super(server, url);
      }
    } as unknown as typeof WebSocket;
  }

  /** Closes every connection as a network drop would. */
  dropAll(): void {
    for (const s of [...this.sockets]) s.serverClose(1006, '');
  }

  receive(socket: FakeSocket, data: Uint8Array): void {
    const decoder = decoding.createDecoder(data);
    const type = decoding.readVarUint(decoder);
    if (type === SYNC) {
      const sub = decoding.peekVarUint(decoder);
      if (socket.readOnly && sub !== syncProtocol.messageYjsSyncStep1) {
        decoding.readVarUint(decoder);
        const update = decoding.readVarUint8Array(decoder);
        if (this.hasNews(update)) {
          this.denials++;
          const enc = encoding.createEncoder();
          encoding.writeVarUint(enc, AUTH);
          authProtocol.writePermissionDenied(enc, 'viewers cannot edit this book');
          socket.deliver(encoding.toUint8Array(enc));
        }
        return;
      }
      const enc = encoding.createEncoder();
      encoding.writeVarUint(enc, SYNC);
      syncProtocol.readSyncMessage(decoder, enc, this.doc, socket);
      if (encoding.length(enc) > 1) socket.deliver(encoding.toUint8Array(enc));
    } else if (type === AWARENESS) {
      for (const s of this.sockets) if (s !== socket) s.deliver(data);
    }
  }

  private hasNews(update: Uint8Array): boolean {
    const sv = Y.decodeStateVector(Y.encodeStateVector(this.doc));
    const meta = Y.parseUpdateMeta(update);
    for (const [client, clock] of meta.to) if (clock > (sv.get(client) ?? 0)) return true;
    return false;
  }
}

export class FakeSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSING = 2;
  readonly CLOSED = 3;
  binaryType = 'arraybuffer';
  readyState = 0;
  readonly readOnly: boolean;
  onopen: ((e: unknown) => void) | null = null;
  onmessage: ((e: { data: ArrayBuffer }) => void) | null = null;
  onclose: ((e: { code: number; reason: string }) => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;
  private readonly server: FakeServer;

  constructor(server: FakeServer, url: string) {
    this.server = server;
    const token = new URL(url.replace(/^ws/, 'http')).searchParams.get('token') ?? '';
    this.readOnly = server.readOnlyTokens.has(token);
    setTimeout(() => {
      if (this.readyState !== 0) return;
      this.readyState = 1;
      server.sockets.add(this);
      this.onopen?.({});
      const enc = encoding.createEncoder();
      encoding.writeVarUint(enc, SYNC);
      syncProtocol.writeSyncStep1(enc, server.doc);
      this.deliver(encoding.toUint8Array(enc));
    }, 1);
  }

  send(data: Uint8Array | ArrayBuffer): void {
    if (this.readyState !== 1) return;
    const bytes = data instanceof Uint8Array ? data.slice() : new Uint8Array(data);
    setTimeout(() => this.readyState === 1 && this.server.receive(this, bytes), 1);
  }

  deliver(data: Uint8Array): void {
    const copy = data.slice();
    setTimeout(() => this.readyState === 1 && this.onmessage?.({ data: copy.buffer }), 1);
  }

  close(): void {
    if (this.readyState >= 2) return;
    this.readyState = 3;
    this.server.sockets.delete(this);
  }

  serverClose(code: number, reason: string): void {
    if (this.readyState >= 2) return;
    this.readyState = 3;
    this.server.sockets.delete(this);
    this.onclose?.({ code, reason });
  }
}
