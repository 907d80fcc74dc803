// What every part of the editor shares: the live session, the book as last read, the
// project and its product, the selection, and a way to show a message.

import { createContext, useContext, useEffect, useState, useSyncExternalStore } from 'react';

import type { Finding, Layout, Photo, Project, Theme, User } from '../../api/client';
import type { ProjectEvents } from '../../api/events';
import type { Product } from '../../geometry';
import { pageSides } from '../../geometry';
import type { Background, Book, Item, Page } from '../../schema';
import { atLeast, type BookSession, type Peer, type Role, type SessionSnapshot } from '../../sync';

export interface Selected {
  page: string;
  item: string | null;
}

export interface EditorState {
  session: BookSession;
  events: ProjectEvents;
  book: Book;
  project: Project;
  role: Role;
  me: User;
  product: Product | undefined;
  products: Product[];
  car: number;
  theme: Theme | undefined;
  layouts: Layout[];
  selected: Selected | null;
  select: (s: Selected | null) => void;
  /** Scrolls the canvas to a page and selects it. */
  showPage: (pageId: string) => void;
  findings: Finding[];
  setFindings: (f: Finding[]) => void;
  photos: Map<string, Photo>;
  rememberPhotos: (p: Photo[]) => void;
  notify: (message: string) => void;
  cropMode: boolean;
  setCropMode: (on: boolean) => void;
}

export const EditorContext = createContext<EditorState | null>(null);

export function useEditor(): EditorState {
  const ctx = useContext(EditorContext);
  if (!ctx) throw new Error('useEditor outside the editor');
  return ctx;
}

/** May this role change the book at all (contributor and up)? */
export function canEdit(role: Role): boolean {
  return atLeast(role, 'contributor');
}

export function useSessionSnapshot(session: BookSession): SessionSnapshot {
  return useSyncExternalStore(session.subscribe, session.getSnapshot);
}

export function usePeers(session: BookSession): Peer[] {
  return useSyncExternalStore(session.subscribePeers, session.getPeers);
}

/**
 * The people who have this item selected, as {name, color}. Cursors move many times a
 * second; a string snapshot keeps items from re-rendering unless their selectors change.
 */
export function useSelectors(session: BookSession, pageId: string, itemId: string): { name: string; color: string }[] {
  const key = useSyncExternalStore(session.subscribePeers, () =>
    session
      .getPeers()
      .filter((p) => p.selection?.page === pageId && p.selection.item === itemId)
      .map((p) => `${p.user.color}\u0000${p.user.name}`)
      .join('\u0001'),
  );
  return key ? key.split('\u0001').map((k) => { const [color, name] = k.split('\u0000'); return { color: color!, name: name! }; }) : [];
}

/** The book as last read, or why it cannot be read (then nothing may be edited). */
export interface BookRead {
  book: Book;
  unreadable: string | null;
}

/** The book, read again after every change (batched to one read per frame). */
export function useBook(session: BookSession): BookRead {
  const snapshot = useSessionSnapshot(session);
  const [read, setRead] = useState<BookRead>(() => safeRead(session));
  useEffect(() => {
    const bookDoc = session.book;
    setRead(safeRead(session));
    let frame = 0;
    const off = bookDoc.onChange(() => {
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        setRead(safeRead(session));
      });
    });
    return () => {
      off();
      if (frame) cancelAnimationFrame(frame);
    };
    // A resync replaces session.book.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [session, snapshot.resyncs]);
  return read;
}

const EMPTY: Book = { meta: { schema: 1, title: '', product: '', theme: '' }, pages: [] };

function safeRead(session: BookSession): BookRead {
  try {
    if (session.doc.getMap('meta').size === 0) return { book: EMPTY, unreadable: null };
    return { book: session.book.read(), unreadable: null };
  } catch (e) {
    // A book of a newer schema, or one that breaks the model: show nothing, write nothing.
    return { book: EMPTY, unreadable: e instanceof Error ? e.message : String(e) };
  }
}

export function findItem(book: Book, pageId: string, itemId: string): { page: Page; item: Item } | null {
  const page = book.pages.find((p) => p.id === pageId);
  const item = page?.items.find((i) => i.id === itemId);
  return page && item ? { page, item } : null;
}

/** A v4 UUID; crypto.randomUUID exists only in secure contexts, getRandomValues everywhere. */
export function newId(): string {
  if (typeof crypto.randomUUID === 'function' && window.isSecureContext) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * The background a new page gets at `index`: the theme's backgrounds in turn, mirrored on a
 * left-hand page when the theme mirrors facing pages (as automix does).
 */
export function themeBackground(theme: Theme | undefined, book: Book, index: number): Background {
  const list = theme?.backgrounds ?? [];
  if (list.length === 0) return { flip: false };
  const bg = list[index % list.length]!;
  const kinds = [...book.pages.slice(0, index).map((p) => p.kind), 'page' as const, ...book.pages.slice(index).map((p) => p.kind)];
  const left = pageSides(kinds)[index] === 'left';
  const mirror = theme?.mirror_facing === true;
  return { ...bg, flip: left && mirror ? !bg.flip : bg.flip };
}
