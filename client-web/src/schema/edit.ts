// Typed edits of the book document, each in one transaction of `doc` (or of the caller's,
// when called inside `doc.transact`). The same functions, checks and representation as
// crdt-schema's `model/edit.rs`: keys are written one by one in schema order, and every
// check runs before anything is written.

import * as Y from 'yjs';

import { ModelError } from './errors';
import { boxLimit, ITEM, MAX_TEXT_LEN, META, PAGE, ROOT_META, ROOT_PAGES } from './names';
import { asNumbers, Fields } from './read';
import type { Background, Box, Meta, NewItem, NewPage, PhotoRef, Style } from './types';

type YMap = Y.Map<unknown>;

/** Writes `meta` and makes sure the `pages` root exists, as crdt-schema's `new_book` does. */
export function createBook(doc: Y.Doc, meta: Meta): void {
  doc.transact(() => {
    const root = doc.getMap<unknown>(ROOT_META);
    root.set(META.SCHEMA, meta.schema);
    root.set(META.TITLE, meta.title);
    root.set(META.PRODUCT, meta.product);
    root.set(META.THEME, meta.theme);
    const pages = doc.getArray<unknown>(ROOT_PAGES);
    if (pages.length === 0) {
      // A root appears in an update only through an item under it: touch `pages` so the
      // very first update carries it with its type.
      pages.insert(0, [new Y.Array()]);
      pages.delete(0, 1);
    }
  });
}

/** Inserts a new, empty page so that it ends up at `index` of the book's pages (`0..=len`). */
export function addPage(doc: Y.Doc, index: number, page: NewPage): string {
  const pages = doc.getArray<unknown>(ROOT_PAGES);
  const entries = pageEntries(pages);
  if (entries.some((e) => e.visible && e.id === page.id)) {
    throw new ModelError({ kind: 'pageExists', page: page.id });
  }
  const raw = rawIndex(entries, pages.length, index);
  doc.transact(() => {
    const map: YMap = new Y.Map();
    pages.insert(raw, [map]);
    map.set(PAGE.ID, page.id);
    map.set(PAGE.KIND, page.kind);
    map.set(PAGE.LAYOUT, page.layout ?? null);
    map.set(PAGE.BACKGROUND, backgroundValue(page.background));
    map.set(PAGE.ITEMS, new Y.Map());
    map.set(PAGE.CREATED_BY, page.createdBy);
    map.set(PAGE.AUTO, page.auto);
  });
  return page.id;
}

/** Deletes a page, together with any duplicate of it left by concurrent moves. */
export function removePage(doc: Y.Doc, pageId: string): void {
  const pages = doc.getArray<unknown>(ROOT_PAGES);
  const copies = copiesOf(pageEntries(pages), pageId);
  if (copies.length === 0) throw new ModelError({ kind: 'unknownPage', page: pageId });
  doc.transact(() => {
    for (const raw of copies.reverse()) pages.delete(raw, 1);
  });
}

/**
 * Moves a page so that it ends up at `newIndex` (`0..len`). Yjs has no move: the page's
 * content is copied into a new Y.Map at the new place and the old one deleted, keeping the
 * page id. Two users moving one page at once leave two copies; readers show the first, and
 * the next move or removal of that page deletes all of them. An edit made inside the page
 * concurrently with its move lands in the deleted copy and is lost.
 */
export function movePage(doc: Y.Doc, pageId: string, newIndex: number): void {
  const pages = doc.getArray<unknown>(ROOT_PAGES);
  const entries = pageEntries(pages);
  const visible = entries.filter((e) => e.visible);
  const from = visible.findIndex((e) => e.id === pageId);
  if (from < 0) throw new ModelError({ kind: 'unknownPage', page: pageId });
  if (!isIndex(newIndex) || newIndex >= visible.length) {
    throw new ModelError({ kind: 'pageIndex', index: newIndex, len: visible.length });
  }
  const copies = copiesOf(entries, pageId);
  if (from === newIndex && copies.length === 1) return;
  const content = copyMap(visible[from]!.map);
  doc.transact(() => {
    for (const raw of copies.reverse()) pages.delete(raw, 1);
    const raw = rawIndex(pageEntries(pages), pages.length, newIndex);
    const map: YMap = new Y.Map();
    pages.insert(raw, [map]);
    writeMap(map, content);
  });
}

/** Sets (or, with null, clears) the page's layout id. */
export function setPageLayout(doc: Y.Doc, pageId: string, layout: string | null): void {
  const map = findPage(doc, pageId);
  doc.transact(() => map.set(PAGE.LAYOUT, layout ?? null));
}

export function setPageBackground(doc: Y.Doc, pageId: string, background: Background): void {
  const map = findPage(doc, pageId);
  doc.transact(() => map.set(PAGE.BACKGROUND, backgroundValue(background)));
}

/** Marks the page as still (true) or no longer (false) as automix made it. */
export function setPageAuto(doc: Y.Doc, pageId: string, auto: boolean): void {
  const map = findPage(doc, pageId);
  doc.transact(() => map.set(PAGE.AUTO, auto));
}

/** Adds an item to a page. Returns its id. */
export function addItem(doc: Y.Doc, pageId: string, item: NewItem): string {
  const page = findPage(doc, pageId);
  checkBox(item.box);
  if (item.text !== undefined && item.text !== null) checkTextLen(item.text.length);
  const existingItems = page.get(PAGE.ITEMS);
  if (existingItems instanceof Y.Map && existingItems.get(item.id) !== undefined) {
    throw new ModelError({ kind: 'itemExists', page: pageId, item: item.id });
  }
  doc.transact(() => {
    let items: YMap;
    if (existingItems instanceof Y.Map) {
      items = existingItems as YMap;
    } else {
      items = new Y.Map();
      page.set(PAGE.ITEMS, items);
    }
    const map: YMap = new Y.Map();
    items.set(item.id, map);
    map.set(ITEM.ID, item.id);
    map.set(ITEM.KIND, item.kind);
    map.set(ITEM.BOX, [...item.box]);
    map.set(ITEM.Z, item.z);
    map.set(ITEM.CREATED_BY, item.createdBy);
    if (item.photo !== undefined && item.photo !== null) map.set(ITEM.PHOTO, photoValue(item.photo));
    if (item.text !== undefined && item.text !== null) {
      const text = new Y.Text();
      map.set(ITEM.TEXT, text);
      if (item.text.length > 0) text.insert(0, item.text);
    }
    map.set(ITEM.STYLE, styleValue(item.style));
    map.set(ITEM.SLOT, item.slot ?? null);
  });
  return item.id;
}

export function removeItem(doc: Y.Doc, pageId: string, itemId: string): void {
  findItem(doc, pageId, itemId);
  const items = findPage(doc, pageId).get(PAGE.ITEMS) as YMap;
  doc.transact(() => items.delete(itemId));
}

/** Moves an item's centre: one overwrite of its whole `box`. */
export function moveItem(doc: Y.Doc, pageId: string, itemId: string, x: number, y: number): void {
  updateBox(doc, pageId, itemId, (b) => {
    b[0] = x;
    b[1] = y;
  });
}

/** Resizes an item about its centre: one overwrite of its whole `box`. */
export function resizeItem(doc: Y.Doc, pageId: string, itemId: string, w: number, h: number): void {
  updateBox(doc, pageId, itemId, (b) => {
    b[2] = w;
    b[3] = h;
  });
}

/** Sets an item's rotation in degrees, clockwise: one overwrite of its whole `box`. */
export function rotateItem(doc: Y.Doc, pageId: string, itemId: string, rot: number): void {
  updateBox(doc, pageId, itemId, (b) => {
    b[4] = rot;
  });
}

export function setZ(doc: Y.Doc, pageId: string, itemId: string, z: number): void {
  const map = findItem(doc, pageId, itemId);
  doc.transact(() => map.set(ITEM.Z, z));
}

/** Replaces the item's whole style. */
export function restyleItem(doc: Y.Doc, pageId: string, itemId: string, style: Style): void {
  const map = findItem(doc, pageId, itemId);
  doc.transact(() => map.set(ITEM.STYLE, styleValue(style)));
}

/** Sets the photo of an item, with its pan and zoom. */
export function setPhoto(doc: Y.Doc, pageId: string, itemId: string, photo: PhotoRef): void {
  const map = findItem(doc, pageId, itemId);
  doc.transact(() => map.set(ITEM.PHOTO, photoValue(photo)));
}

/**
 * Replaces the whole content of the item's Y.Text (creating it if the item has none).
 * Setting the text it already holds writes nothing.
 */
export function setCaption(doc: Y.Doc, pageId: string, itemId: string, text: string): void {
  const map = findItem(doc, pageId, itemId);
  checkTextLen(text.length);
  const current = map.get(ITEM.TEXT);
  if (current instanceof Y.Text && current.toString() === text) return;
  doc.transact(() => {
    if (current instanceof Y.Text) {
      if (current.length > 0) current.delete(0, current.length);
      if (text.length > 0) current.insert(0, text);
    } else {
      const fresh = new Y.Text();
      map.set(ITEM.TEXT, fresh);
      if (text.length > 0) fresh.insert(0, text);
    }
  });
}

/**
 * Splices the item's Y.Text: deletes `deleteLen` units at `index`, then inserts `insert`
 * there. Positions are UTF-16 code units; a position inside a surrogate pair is an error.
 */
export function editCaption(
  doc: Y.Doc,
  pageId: string,
  itemId: string,
  index: number,
  deleteLen: number,
  insert: string,
): void {
  const map = findItem(doc, pageId, itemId);
  const existing = map.get(ITEM.TEXT);
  const text = existing instanceof Y.Text ? existing : undefined;
  const current = text?.toString() ?? '';
  const end = index + deleteLen;
  if (!isIndex(index) || !isIndex(deleteLen) || !isBoundary(current, index) || !isBoundary(current, end)) {
    throw new ModelError({ kind: 'textRange', index, deleteLen, len: current.length });
  }
  checkTextLen(current.length - deleteLen + insert.length);
  doc.transact(() => {
    let target = text;
    if (target === undefined) {
      target = new Y.Text();
      map.set(ITEM.TEXT, target);
    }
    if (deleteLen > 0) target.delete(index, deleteLen);
    if (insert.length > 0) target.insert(index, insert);
  });
}

/** One entry of `pages`; `visible` is false for a later copy of an id seen before. */
interface PageEntry {
  raw: number;
  id: string | undefined;
  map: YMap;
  visible: boolean;
}

function pageEntries(pages: Y.Array<unknown>): PageEntry[] {
  const seen = new Set<string>();
  const entries: PageEntry[] = [];
  pages.forEach((entry, raw) => {
    if (!(entry instanceof Y.Map)) return;
    const map = entry as YMap;
    const idValue = map.get(PAGE.ID);
    const id = typeof idValue === 'string' ? idValue : undefined;
    let visible = true;
    if (id !== undefined) {
      visible = !seen.has(id);
      seen.add(id);
    }
    entries.push({ raw, id, map, visible });
  });
  return entries;
}

function copiesOf(entries: PageEntry[], pageId: string): number[] {
  return entries.filter((e) => e.id === pageId).map((e) => e.raw);
}

/** Where in the raw `pages` array a page must go to end up at `index` of the visible pages. */
function rawIndex(entries: PageEntry[], rawLen: number, index: number): number {
  const visible = entries.filter((e) => e.visible).map((e) => e.raw);
  if (!isIndex(index) || index > visible.length) {
    throw new ModelError({ kind: 'pageIndex', index, len: visible.length });
  }
  return index === visible.length ? rawLen : visible[index]!;
}

function findPage(doc: Y.Doc, pageId: string): YMap {
  const entry = pageEntries(doc.getArray<unknown>(ROOT_PAGES)).find((e) => e.visible && e.id === pageId);
  if (entry === undefined) throw new ModelError({ kind: 'unknownPage', page: pageId });
  return entry.map;
}

function findItem(doc: Y.Doc, pageId: string, itemId: string): YMap {
  const items = findPage(doc, pageId).get(PAGE.ITEMS);
  const item = items instanceof Y.Map ? items.get(itemId) : undefined;
  if (!(item instanceof Y.Map)) throw new ModelError({ kind: 'unknownItem', page: pageId, item: itemId });
  return item as YMap;
}

function updateBox(doc: Y.Doc, pageId: string, itemId: string, change: (box: Box) => void): void {
  const map = findItem(doc, pageId, itemId);
  const at = `item ${itemId} on page ${pageId}`;
  const box = new Fields(map, at).required(ITEM.BOX, 'an array of 5 numbers', (v) => asNumbers(v, 5)) as Box;
  change(box);
  checkBox(box);
  doc.transact(() => map.set(ITEM.BOX, box));
}

/** SPEC §6.3 rule 2, and no negative size: an edit never writes a box the server refuses. */
function checkBox(box: readonly number[]): void {
  box.forEach((value, index) => {
    const negativeSize = (index === 2 || index === 3) && value < 0;
    if (!Number.isFinite(value) || Math.abs(value) > boxLimit(index) || negativeSize) {
      throw new ModelError({ kind: 'badBox', index, value, limit: boxLimit(index) });
    }
  });
}

function checkTextLen(len: number): void {
  if (len > MAX_TEXT_LEN) throw new ModelError({ kind: 'textTooLong', len, limit: MAX_TEXT_LEN });
}

function isIndex(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 0xffff_ffff;
}

/** Whether UTF-16 position `pos` lies within `s` and not inside a surrogate pair. */
function isBoundary(s: string, pos: number): boolean {
  if (pos > s.length) return false;
  if (pos === 0 || pos === s.length) return true;
  const before = s.charCodeAt(pos - 1);
  const after = s.charCodeAt(pos);
  return !(before >= 0xd800 && before <= 0xdbff && after >= 0xdc00 && after <= 0xdfff);
}

/** A deep copy of a page's content, to write elsewhere. */
type Copy = { value: unknown } | { map: [string, Copy][] } | { text: string };

/**
 * Copies a Y.Map with its nested maps and texts, keys in UTF-16 order (as the Rust side,
 * whose map order is a hash order). Other shared types have no place in a book and are dropped.
 */
function copyMap(map: YMap): [string, Copy][] {
  const entries: [string, Copy][] = [];
  map.forEach((value, key) => {
    if (value instanceof Y.Map) entries.push([key, { map: copyMap(value as YMap) }]);
    else if (value instanceof Y.Text) entries.push([key, { text: value.toString() }]);
    else if (!(value instanceof Y.AbstractType)) entries.push([key, { value }]);
  });
  return entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function writeMap(map: YMap, entries: [string, Copy][]): void {
  for (const [key, copy] of entries) {
    if ('map' in copy) {
      const nested: YMap = new Y.Map();
      map.set(key, nested);
      writeMap(nested, copy.map);
    } else if ('text' in copy) {
      const text = new Y.Text();
      map.set(key, text);
      if (copy.text.length > 0) text.insert(0, copy.text);
    } else {
      map.set(key, copy.value);
    }
  }
}

/** A JSON object of the given keys, leaving out absent ones (as Rust's `object`). */
function object(entries: [string, unknown][]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    if (value !== undefined && value !== null) out[key] = value;
  }
  return out;
}

function backgroundValue(bg: Background): Record<string, unknown> {
  return object([
    ['color', bg.color],
    ['asset', bg.asset],
    ['flip', bg.flip ?? false],
  ]);
}

function photoValue(photo: PhotoRef): Record<string, unknown> {
  return object([
    ['id', photo.id],
    ['pan', [...photo.pan]],
    ['zoom', photo.zoom],
  ]);
}

function styleValue(style: Style): Record<string, unknown> {
  const border = style.border ? object([['width', style.border.width], ['color', style.border.color]]) : undefined;
  return object([
    ['font', style.font],
    ['size', style.size],
    ['color', style.color],
    ['align', style.align],
    ['opacity', style.opacity],
    ['shadow', style.shadow],
    ['border', border],
    ['frame', style.frame],
  ]);
}
