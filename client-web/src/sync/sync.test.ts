// The sync module: the status machine, BookSession against an in-memory y-websocket server
// (sync, drops, PermissionDenied and resync, offline merges), BookDoc edits and undo, captions.

import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';

import { createBook, readBook } from '../schema';
import { atLeast, BookDoc, diffText } from './book';
import { FakeServer } from './fake-server';
import { BookSession } from './session';
import { INITIAL_CONNECTION, nextConnection } from './status';
import { transformPosition } from './text';

const A = { id: 'aaaaaaaa-0000-4000-8000-000000000001', name: 'Ann', color: '#e11d48' };
const B = { id: 'bbbbbbbb-0000-4000-8000-000000000002', name: 'Bob', color: '#2563eb' };
const PAGE = '11111111-0000-4000-8000-000000000001';

async function until<T>(f: () => T | undefined | null | false, ms = 3000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function newServer(): FakeServer {
  const server = new FakeServer();
  createBook(server.doc, { schema: 1, title: 'Trip', product: 'square-8x8', theme: 'everyday' });
  return server;
}

const sessions: BookSession[] = [];
function open(server: FakeServer, user: typeof A, role: 'editor' | 'viewer', token = user.id): BookSession {
  const s = new BookSession({ serverUrl: 'ws://fake', projectId: 'p1', token, user, role, WebSocketImpl: server.WebSocket });
  sessions.push(s);
  return s;
}

afterEach(() => {
  while (sessions.length) sessions.pop()!.destroy();
});

function addTextItem(book: BookDoc, id: string, text: string) {
  book.addItem(PAGE, { id, kind: 'text', box: [0, 0, 0.3, 0.1, 0], z: 1, text, style: {}, slot: null });
}

describe('connection status machine', () => {
  it('goes connecting → synced → offline and stays offline while retrying', () => {
    let s = nextConnection(INITIAL_CONNECTION, { type: 'connected' });
    expect(s.status).toBe('connecting');
    s = nextConnection(s, { type: 'synced' });
    expect(s).toMatchObject({ status: 'synced', everSynced: true });
    s = nextConnection(s, { type: 'disconnected' });
    expect(s.status).toBe('offline');
    s = nextConnection(s, { type: 'connecting' });
    expect(s.status).toBe('offline');
    s = nextConnection(s, { type: 'synced' });
    expect(s.status).toBe('synced');
  });

  it('stays closed after a do-not-reconnect close code', () => {
    let s = nextConnection(INITIAL_CONNECTION, { type: 'closed', code: 4403, reason: '' });
    expect(s.status).toBe('closed');
    expect(s.closedBecause).toMatch(/no longer allowed/);
    s = nextConnection(s, { type: 'synced' });
    expect(s.status).toBe('closed');
  });
});

describe('BookSession against a y-websocket server', () => {
  it('syncs, goes offline on a drop and resyncs on reconnect', async () => {
    const server = newServer();
    const a = open(server, A, 'editor');
    await until(() => a.getSnapshot().connection.status === 'synced');
    expect(a.book.read().meta.title).toBe('Trip');
    server.dropAll();
    await until(() => a.getSnapshot().connection.status === 'offline');
    await until(() => a.getSnapshot().connection.status === 'synced');
  });

  it('relays edits and cursors between two sessions', async () => {
    const server = newServer();
    const a = open(server, A, 'editor');
    const b = open(server, B, 'editor');
    await until(() => a.getSnapshot().connection.status === 'synced' && b.getSnapshot().connection.status === 'synced');
    a.book.addPage(0, { id: PAGE, kind: 'page', layout: null, background: { flip: false }, auto: false });
    addTextItem(a.book, 'i1', 'hello');
    await until(() => b.book.read().pages[0]?.items[0]?.text === 'hello');
    a.setCursor({ page: PAGE, x: 0.1, y: -0.2 });
    const peer = await until(() => b.getPeers().find((p) => p.cursor?.page === PAGE));
    expect(peer.user.name).toBe('Ann');
    expect(peer.cursor).toEqual({ page: PAGE, x: 0.1, y: -0.2 });
  });

  it('drops its doc and resyncs when the server refuses a write', async () => {
    const server = newServer();
    server.readOnlyTokens.add('viewer-token');
    const v = open(server, B, 'viewer', 'viewer-token');
    await until(() => v.getSnapshot().connection.status === 'synced');
    expect(server.denials).toBe(0); // syncing an empty doc is no write
    // A crafted write that skips the read-only interface.
    v.doc.getMap('meta').set('title', 'hacked');
    await until(() => v.getSnapshot().resyncs === 1);
    expect(v.getSnapshot().denied).toMatch(/viewers cannot edit/);
    await until(() => v.getSnapshot().connection.status === 'synced');
    expect(v.book.read().meta.title).toBe('Trip');
    expect(server.doc.getMap('meta').get('title')).toBe('Trip');
  });

  it('merges edits made offline when it reconnects', async () => {
    const server = newServer();
    const a = open(server, A, 'editor');
    const b = open(server, B, 'editor');
    await until(() => a.getSnapshot().connection.status === 'synced' && b.getSnapshot().connection.status === 'synced');
    a.book.addPage(0, { id: PAGE, kind: 'page', layout: null, background: { flip: false }, auto: false });
    await until(() => b.book.read().pages.length === 1);
    a.setOnline(false);
    await until(() => a.getSnapshot().connection.status === 'offline');
    addTextItem(a.book, 'offline-item', 'made offline');
    addTextItem(b.book, 'online-item', 'made online');
    await new Promise((r) => setTimeout(r, 30));
    expect(b.book.read().pages[0]!.items.map((i) => i.id)).toEqual(['online-item']);
    a.setOnline(true);
    const ids = (s: BookSession) => s.book.read().pages[0]!.items.map((i) => i.id).sort().join();
    await until(() => ids(a) === 'offline-item,online-item' && ids(b) === 'offline-item,online-item');
  });
});

describe('BookDoc', () => {
  function pair() {
    const a = new BookDoc(A.id, 'editor');
    const b = new BookDoc(B.id, 'editor');
    a.doc.on('update', (u: Uint8Array, origin: unknown) => origin !== 'remote' && Y.applyUpdate(b.doc, u, 'remote'));
    b.doc.on('update', (u: Uint8Array, origin: unknown) => origin !== 'remote' && Y.applyUpdate(a.doc, u, 'remote'));
    createBook(a.doc, { schema: 1, title: 't', product: 'square-8x8', theme: 'everyday' });
    a.addPage(0, { id: PAGE, kind: 'page', layout: null, background: { flip: false }, auto: true });
    a.undo.clear();
    return { a, b };
  }

  it('undoes only its own changes', () => {
    const { a, b } = pair();
    addTextItem(a, 'mine', 'a');
    addTextItem(b, 'theirs', 'b');
    a.undo.stopCapturing();
    a.undo.undo();
    expect(readBook(b.doc).pages[0]!.items.map((i) => i.id)).toEqual(['theirs']);
    a.undo.redo();
    expect(readBook(b.doc).pages[0]!.items.map((i) => i.id).sort()).toEqual(['mine', 'theirs']);
  });

  it('moves an item by overwriting its box and marks the page as touched', () => {
    const { a, b } = pair();
    addTextItem(a, 'i', 'x');
    a.setBox(PAGE, 'i', [0.2, 0.1, 0.3, 0.1, 10]);
    expect(readBook(b.doc).pages[0]!.items[0]!.box).toEqual([0.2, 0.1, 0.3, 0.1, 10]);
    expect(readBook(b.doc).pages[0]!.auto).toBe(false);
    a.setBox(PAGE, 'i', [Number.NaN, 0, 1, 1, 0]);
    expect(readBook(b.doc).pages[0]!.items[0]!.box[0]).toBe(0.2);
  });

  it('moves by a step from the document’s current box', () => {
    const { a } = pair();
    addTextItem(a, 'i', 'x');
    for (let i = 0; i < 3; i++) a.moveBy(PAGE, 'i', 0.05, -0.01);
    const box = readBook(a.doc).pages[0]!.items[0]!.box;
    expect(box[0]).toBeCloseTo(0.15, 9);
    expect(box[1]).toBeCloseTo(-0.03, 9);
  });

  it('edits captions as splices that merge with concurrent typing', () => {
    const { a, b } = pair();
    addTextItem(a, 'cap', 'hello world');
    a.editText(PAGE, 'cap', 'hello world', 'hello big world');
    b.editText(PAGE, 'cap', 'hello big world', 'hello big world!');
    expect(a.text(PAGE, 'cap')!.toString()).toBe('hello big world!');
  });

  it('knows who may change what', () => {
    const c = new BookDoc(A.id, 'contributor');
    expect(c.canChange(A.id)).toBe(true);
    expect(c.canChange(B.id)).toBe(false);
    // A contributor's own page with someone else's item on it is not theirs alone to delete.
    expect(c.canRemovePage({ createdBy: A.id, items: [{ createdBy: A.id }] })).toBe(true);
    expect(c.canRemovePage({ createdBy: A.id, items: [{ createdBy: B.id }] })).toBe(false);
    expect(new BookDoc(A.id, 'editor').canRemovePage({ createdBy: B.id, items: [{ createdBy: B.id }] })).toBe(true);
    expect(new BookDoc(A.id, 'viewer').canAdd).toBe(false);
    expect(atLeast('manager', 'editor')).toBe(true);
    expect(atLeast('commenter', 'contributor')).toBe(false);
  });
});

describe('text helpers', () => {
  it('diffs to the smallest splice', () => {
    expect(diffText('hello', 'help')).toEqual({ index: 3, deleteLen: 2, insert: 'p' });
    expect(diffText('ab', 'ab')).toBeNull();
    expect(diffText('a😀b', 'a😃b')).toEqual({ index: 1, deleteLen: 2, insert: '😃' });
  });

  it('moves a caret through a remote change', () => {
    expect(transformPosition(5, [{ insert: 'abc' }])).toBe(8);
    expect(transformPosition(5, [{ retain: 6 }, { insert: 'abc' }])).toBe(5);
    expect(transformPosition(5, [{ retain: 2 }, { delete: 2 }])).toBe(3);
    expect(transformPosition(5, [{ retain: 4 }, { delete: 4 }])).toBe(4);
  });
});
