// One book's Y.Doc with the edits the editor makes, all under the local origin so that the
// undo manager undoes only this user's own changes (SPEC §13, STYLE habit 10).

import * as Y from 'yjs';

import {
  addItem,
  boxLimit,
  addPage,
  editCaption,
  ITEM,
  movePage,
  PAGE,
  readBook,
  removeItem,
  removePage,
  restyleItem,
  ROOT_META,
  ROOT_PAGES,
  setPageAuto,
  setPageBackground,
  setPageLayout,
  setPhoto,
  setZ,
  type Background,
  type Book,
  type Box,
  type NewItem,
  type NewPage,
  type PhotoRef,
  type Style,
} from '../schema';

/** The origin of every transaction this client makes; remote ones have other origins. */
export const LOCAL_ORIGIN = Symbol('folio-local-edit');

export type Role = 'viewer' | 'commenter' | 'contributor' | 'editor' | 'manager' | 'owner';

const RANK: Record<Role, number> = { viewer: 0, commenter: 1, contributor: 2, editor: 3, manager: 4, owner: 4 };

/** Whether `role` has at least the rights of `min` (SPEC §3). */
export function atLeast(role: Role | null | undefined, min: Role): boolean {
  return role != null && RANK[role] >= RANK[min];
}

/** A text change as a splice: what `diffText` gives and `editCaption` takes. */
export interface TextSplice {
  index: number;
  deleteLen: number;
  insert: string;
}

/** The smallest splice turning `before` into `after`, keeping surrogate pairs whole. */
export function diffText(before: string, after: string): TextSplice | null {
  if (before === after) return null;
  let start = 0;
  const max = Math.min(before.length, after.length);
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  let end = 0;
  while (end < max - start && before.charCodeAt(before.length - 1 - end) === after.charCodeAt(after.length - 1 - end)) end++;
  const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
  const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;
  if (start > 0 && isHigh(before.charCodeAt(start - 1))) start--;
  if (end > 0 && isLow(before.charCodeAt(before.length - end))) end--;
  return { index: start, deleteLen: before.length - start - end, insert: after.slice(start, after.length - end) };
}

export class BookDoc {
  readonly doc: Y.Doc;
  readonly undo: Y.UndoManager;
  /** The user this client writes as (`createdBy`). */
  readonly userId: string;
  role: Role;

  constructor(userId: string, role: Role, doc: Y.Doc = new Y.Doc()) {
    this.doc = doc;
    this.userId = userId;
    this.role = role;
    const scope = [doc.getMap(ROOT_META), doc.getArray(ROOT_PAGES)];
    this.undo = new Y.UndoManager(scope, { trackedOrigins: new Set([LOCAL_ORIGIN]), captureTimeout: 400 });
  }

  read(): Book {
    return readBook(this.doc);
  }

  /** Calls `listener` after every change of the document, local or remote. */
  onChange(listener: (local: boolean) => void): () => void {
    const handler = (txn: Y.Transaction) => listener(txn.origin === LOCAL_ORIGIN);
    this.doc.on('afterTransaction', handler);
    return () => this.doc.off('afterTransaction', handler);
  }

  /** Runs `fn` in one transaction under the local origin: one undo step. */
  transact(fn: () => void): void {
    this.doc.transact(fn, LOCAL_ORIGIN);
  }

  /** Whether this user may change (or delete) something created by `createdBy`. */
  canChange(createdBy: string): boolean {
    return atLeast(this.role, 'editor') || (this.role === 'contributor' && createdBy === this.userId);
  }

  /**
   * Whether this user may delete a page: deleting it deletes everything on it, so a
   * contributor may only when the page and every item on it are theirs (SPEC §6.3 rule 4;
   * the server refuses the rest).
   */
  canRemovePage(page: { createdBy: string; items: readonly { createdBy: string }[] }): boolean {
    return this.canChange(page.createdBy) && page.items.every((i) => this.canChange(i.createdBy));
  }

  get canAdd(): boolean {
    return atLeast(this.role, 'contributor');
  }

  addPage(index: number, page: Omit<NewPage, 'createdBy'>): string {
    const full: NewPage = { ...page, createdBy: this.userId };
    this.transact(() => addPage(this.doc, index, full));
    return page.id;
  }

  removePage(pageId: string): void {
    this.transact(() => removePage(this.doc, pageId));
  }

  movePage(pageId: string, index: number): void {
    this.transact(() => movePage(this.doc, pageId, index));
  }

  /**
   * Gives the page a layout: its photo items, in z order, move into the layout's slots, and
   * each slot left over gets an empty photo item (and a caption where the slot has one).
   * Items this user may not change stay where they are.
   */
  applyLayout(pageId: string, layout: string, slots: readonly { box: Box; captionBox?: Box }[], newId: () => string): void {
    const page = this.read().pages.find((p) => p.id === pageId);
    if (!page) return;
    const photos = page.items.filter((i) => i.kind === 'photo' && this.canChange(i.createdBy));
    let z = Math.max(0, ...page.items.map((i) => i.z));
    this.transact(() => {
      setPageLayout(this.doc, pageId, layout);
      slots.forEach((slot, index) => {
        const existing = photos[index];
        if (existing) {
          const map = this.itemMap(pageId, existing.id)!;
          map.set(ITEM.BOX, [...slot.box]);
          map.set(ITEM.SLOT, index);
        } else {
          addItem(this.doc, pageId, { id: newId(), kind: 'photo', box: [...slot.box] as Box, z: ++z, createdBy: this.userId, style: {}, slot: index });
        }
        if (slot.captionBox && !page.items.some((i) => i.kind === 'text' && i.slot === index)) {
          addItem(this.doc, pageId, { id: newId(), kind: 'text', box: [...slot.captionBox] as Box, z: ++z, createdBy: this.userId, text: '', style: {}, slot: index });
        }
      });
      this.touch(pageId);
    });
  }

  setBackground(pageId: string, background: Background): void {
    this.transact(() => {
      setPageBackground(this.doc, pageId, background);
      this.touch(pageId);
    });
  }

  addItem(pageId: string, item: Omit<NewItem, 'createdBy'>): string {
    this.transact(() => {
      addItem(this.doc, pageId, { ...item, createdBy: this.userId });
      this.touch(pageId);
    });
    return item.id;
  }

  removeItem(pageId: string, itemId: string): void {
    this.transact(() => {
      removeItem(this.doc, pageId, itemId);
      this.touch(pageId);
    });
  }

  /** Overwrites the whole box: a move, resize or rotation is one write (SPEC §6). */
  setBox(pageId: string, itemId: string, box: Box): void {
    if (!box.every((v, i) => Number.isFinite(v) && Math.abs(v) <= boxLimit(i)) || box[2] < 0 || box[3] < 0) return;
    this.transact(() => {
      const map = this.itemMap(pageId, itemId);
      if (!map) return;
      map.set(ITEM.BOX, [...box]);
      this.touch(pageId);
    });
  }

  /**
   * Moves an item by `(dx, dy)` from where the document has it now (not where the screen last
   * drew it), so that fast repeated key presses all count. `limit` keeps the centre in range.
   */
  moveBy(pageId: string, itemId: string, dx: number, dy: number, limit = 10): void {
    const box = this.itemMap(pageId, itemId)?.get(ITEM.BOX);
    if (!Array.isArray(box) || box.length !== 5) return;
    const clamp = (v: number) => Math.min(limit, Math.max(-limit, v));
    this.setBox(pageId, itemId, [clamp(box[0] + dx), clamp(box[1] + dy), box[2], box[3], box[4]]);
  }

  setZ(pageId: string, itemId: string, z: number): void {
    this.transact(() => {
      setZ(this.doc, pageId, itemId, z);
      this.touch(pageId);
    });
  }

  setPhoto(pageId: string, itemId: string, photo: PhotoRef): void {
    this.transact(() => {
      setPhoto(this.doc, pageId, itemId, photo);
      this.touch(pageId);
    });
  }

  restyle(pageId: string, itemId: string, style: Style): void {
    this.transact(() => {
      restyleItem(this.doc, pageId, itemId, style);
      this.touch(pageId);
    });
  }

  /** Applies the edit that turns the caption `before` into `after`, as a Y.Text splice. */
  editText(pageId: string, itemId: string, before: string, after: string): void {
    const splice = diffText(before, after);
    if (!splice) return;
    this.transact(() => {
      editCaption(this.doc, pageId, itemId, splice.index, splice.deleteLen, splice.insert);
      this.touch(pageId);
    });
  }

  /** The Y.Text of an item, for collaborative editing, if it has one. */
  text(pageId: string, itemId: string): Y.Text | null {
    const t = this.itemMap(pageId, itemId)?.get(ITEM.TEXT);
    return t instanceof Y.Text ? t : null;
  }

  /**
   * A person changed the page: it is no longer as automix made it (SPEC §10), when this
   * user is allowed to change the page itself.
   */
  private touch(pageId: string): void {
    const map = this.pageMap(pageId);
    if (!map || map.get(PAGE.AUTO) !== true) return;
    const createdBy = map.get(PAGE.CREATED_BY);
    if (this.canChange(typeof createdBy === 'string' ? createdBy : '')) setPageAuto(this.doc, pageId, false);
  }

  private pageMap(pageId: string): Y.Map<unknown> | undefined {
    let found: Y.Map<unknown> | undefined;
    this.doc.getArray<unknown>(ROOT_PAGES).forEach((p) => {
      if (!found && p instanceof Y.Map && p.get(PAGE.ID) === pageId) found = p as Y.Map<unknown>;
    });
    return found;
  }

  private itemMap(pageId: string, itemId: string): Y.Map<unknown> | undefined {
    const items = this.pageMap(pageId)?.get(PAGE.ITEMS);
    const item = items instanceof Y.Map ? items.get(itemId) : undefined;
    return item instanceof Y.Map ? (item as Y.Map<unknown>) : undefined;
  }
}
