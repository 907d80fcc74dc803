// Typed read: a Y.Doc → a Book. The same rules as crdt-schema's `model/read.rs`, in the
// same order: an absent (or null) optional field takes its default, unknown keys are
// ignored, and a missing required field or a field of the wrong type is a ModelError naming
// the page or item and the field.

import * as Y from 'yjs';

import { ModelError } from './errors';
import { ITEM, ITEM_KINDS, META, PAGE, PAGE_KINDS, ROOT_META, ROOT_PAGES, SCHEMA_VERSION } from './names';
import { ALIGNS } from './types';
import type { Align, Background, Book, Border, Box, Item, ItemKind, Meta, Page, PageKind, PhotoRef, Style } from './types';

/**
 * Reads the whole book. Pages are in document order; a page whose id was already seen
 * earlier in `pages` (two users moved the same page at once) is left out.
 */
export function readBook(doc: Y.Doc): Book {
  const meta = readMeta(doc);
  const pages: Page[] = [];
  const seen = new Set<string>();
  doc.getArray<unknown>(ROOT_PAGES).forEach((entry, index) => {
    const at = `page #${index}`;
    if (!(entry instanceof Y.Map)) throw wrong(at, ROOT_PAGES, 'a Y.Map');
    const map = entry as Y.Map<unknown>;
    const id = new Fields(map, at).string(PAGE.ID);
    if (!seen.has(id)) {
      seen.add(id);
      pages.push(readPage(map, id));
    }
  });
  return { meta, pages };
}

function readMeta(doc: Y.Doc): Meta {
  const fields = new Fields(doc.getMap<unknown>(ROOT_META), ROOT_META);
  const version = fields.required(META.SCHEMA, 'an integer', asInteger);
  if (version > SCHEMA_VERSION) {
    throw new ModelError({ kind: 'newerSchema', found: version, supported: SCHEMA_VERSION });
  }
  return {
    schema: version,
    title: fields.string(META.TITLE),
    product: fields.string(META.PRODUCT),
    theme: fields.string(META.THEME),
  };
}

function readPage(map: Y.Map<unknown>, id: string): Page {
  const at = `page ${id}`;
  const fields = new Fields(map, at);
  const kind = fields.required(PAGE.KIND, 'a page kind', (v) => asKind<PageKind>(v, PAGE_KINDS));
  const layout = fields.optional(PAGE.LAYOUT, 'a string', asString) ?? null;
  const bgValue = fields.any(PAGE.BACKGROUND);
  const background = bgValue === undefined ? { flip: false } : readBackground(new Obj(bgValue, at, PAGE.BACKGROUND));
  const items: Item[] = [];
  const itemsValue = fields.get(PAGE.ITEMS);
  if (itemsValue instanceof Y.Map) {
    (itemsValue as Y.Map<unknown>).forEach((entry) => {
      if (!(entry instanceof Y.Map)) throw wrong(at, PAGE.ITEMS, 'a Y.Map of Y.Maps');
      items.push(readItem(entry as Y.Map<unknown>, id));
    });
  } else if (itemsValue !== undefined) {
    throw wrong(at, PAGE.ITEMS, 'a Y.Map');
  }
  items.sort(byZThenId);
  return {
    id,
    kind,
    layout,
    background,
    items,
    createdBy: fields.string(PAGE.CREATED_BY),
    auto: fields.optional(PAGE.AUTO, 'a boolean', asBool) ?? false,
  };
}

function readBackground(obj: Obj): Background {
  const background: Background = { flip: false };
  const color = obj.optional('color', 'a string', asString);
  const asset = obj.optional('asset', 'a string', asString);
  const flip = obj.optional('flip', 'a boolean', asBool);
  if (color !== undefined) background.color = color;
  if (asset !== undefined) background.asset = asset;
  background.flip = flip ?? false;
  return background;
}

function readItem(map: Y.Map<unknown>, pageId: string): Item {
  const id = new Fields(map, `an item on page ${pageId}`).string(ITEM.ID);
  const at = `item ${id} on page ${pageId}`;
  const fields = new Fields(map, at);
  const textValue = fields.get(ITEM.TEXT);
  let text: string | undefined;
  if (textValue instanceof Y.Text) text = textValue.toString();
  else if (textValue !== undefined) throw wrong(at, ITEM.TEXT, 'a Y.Text');
  const photoValue = fields.any(ITEM.PHOTO);
  const photo = photoValue === undefined ? undefined : readPhoto(new Obj(photoValue, at, ITEM.PHOTO));
  const styleValue = fields.any(ITEM.STYLE);
  const style = styleValue === undefined ? {} : readStyle(new Obj(styleValue, at, ITEM.STYLE));
  const item: Item = {
    id,
    kind: fields.required(ITEM.KIND, 'an item kind', (v) => asKind<ItemKind>(v, ITEM_KINDS)),
    box: fields.required(ITEM.BOX, 'an array of 5 numbers', (v) => asNumbers(v, 5) as Box | undefined),
    z: fields.optional(ITEM.Z, 'a number', asNumber) ?? 0,
    createdBy: fields.string(ITEM.CREATED_BY),
    style,
    slot: null,
  };
  item.slot = fields.optional(ITEM.SLOT, 'a whole number ≥ 0', asU32) ?? null;
  if (photo !== undefined) item.photo = photo;
  if (text !== undefined) item.text = text;
  return item;
}

function readPhoto(obj: Obj): PhotoRef {
  return {
    id: obj.required('id', 'a string', asString),
    pan: (obj.optional('pan', 'an array of 2 numbers', (v) => asNumbers(v, 2)) ?? [0, 0]) as [number, number],
    zoom: obj.optional('zoom', 'a number', asNumber) ?? 1,
  };
}

function readStyle(obj: Obj): Style {
  let border: Border | undefined;
  const borderValue = obj.optional('border', 'an object', (v) => v);
  if (borderValue !== undefined) {
    const b = new Obj(borderValue, obj.at, obj.field('border'));
    border = { width: b.required('width', 'a number', asNumber), color: b.required('color', 'a string', asString) };
  }
  const read: Style = {
    font: obj.optional('font', 'a string', asString),
    size: obj.optional('size', 'a number', asNumber),
    color: obj.optional('color', 'a string', asString),
    align: obj.optional('align', 'left, center, right or justify', (v) => asKind<Align>(v, ALIGNS)),
    opacity: obj.optional('opacity', 'a number', asNumber),
    shadow: obj.optional('shadow', 'a boolean', asBool),
    border,
    frame: obj.optional('frame', 'a string', asString),
  };
  const style: Style = {};
  for (const [key, value] of Object.entries(read)) {
    if (value !== undefined) (style as Record<string, unknown>)[key] = value;
  }
  return style;
}

/** Orders items by z, then id by UTF-16 code units (as Rust's `cmp_utf16`). */
export function byZThenId(a: Item, b: Item): number {
  if (a.z < b.z) return -1;
  if (a.z > b.z) return 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function missing(at: string, field: string): ModelError {
  return new ModelError({ kind: 'missingField', at, field });
}

function wrong(at: string, field: string, expected: string): ModelError {
  return new ModelError({ kind: 'wrongType', at, field, expected });
}

/** The keys of one Y.Map, read with the place they belong to for errors. */
export class Fields {
  constructor(
    readonly map: Y.Map<unknown>,
    readonly at: string,
  ) {}

  /** The value under `key`; null and undefined count as absent. */
  get(key: string): unknown {
    const value = this.map.get(key);
    return value === null ? undefined : value;
  }

  /** A plain JSON value under `key`; a shared type there is an error. */
  any(key: string): unknown {
    const value = this.get(key);
    if (value instanceof Y.AbstractType) throw wrong(this.at, key, 'a plain value, not a shared type');
    return value;
  }

  optional<V>(key: string, expected: string, f: (v: unknown) => V | undefined): V | undefined {
    const value = this.get(key);
    if (value === undefined) return undefined;
    const parsed = value instanceof Y.AbstractType ? undefined : f(value);
    if (parsed === undefined) throw wrong(this.at, key, expected);
    return parsed;
  }

  required<V>(key: string, expected: string, f: (v: unknown) => V | undefined): V {
    const value = this.optional(key, expected, f);
    if (value === undefined) throw missing(this.at, key);
    return value;
  }

  string(key: string): string {
    return this.required(key, 'a string', asString);
  }
}

/** The keys of a JSON object stored under one key (`background`, `photo`, `style`). */
class Obj {
  readonly map: Record<string, unknown>;

  constructor(
    value: unknown,
    readonly at: string,
    readonly prefix: string,
  ) {
    if (!isObject(value)) throw wrong(at, prefix, 'an object');
    this.map = value;
  }

  field(key: string): string {
    return `${this.prefix}.${key}`;
  }

  optional<V>(key: string, expected: string, f: (v: unknown) => V | undefined): V | undefined {
    const value = Object.hasOwn(this.map, key) ? this.map[key] : undefined;
    if (value === undefined || value === null) return undefined;
    const parsed = f(value);
    if (parsed === undefined) throw wrong(this.at, this.field(key), expected);
    return parsed;
  }

  required<V>(key: string, expected: string, f: (v: unknown) => V | undefined): V {
    const value = this.optional(key, expected, f);
    if (value === undefined) throw missing(this.at, this.field(key));
    return value;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function asKind<K extends string>(v: unknown, kinds: readonly K[]): K | undefined {
  return typeof v === 'string' && (kinds as readonly string[]).includes(v) ? (v as K) : undefined;
}

function asString(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function asBool(v: unknown): boolean | undefined {
  return typeof v === 'boolean' ? v : undefined;
}

/** A number; a bigint (yrs reads one as a number too) is taken when it is exact. */
export function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint' && BigInt(Number(v)) === v) return Number(v);
  return undefined;
}

function asInteger(v: unknown): number | undefined {
  const n = asNumber(v);
  return n !== undefined && Number.isInteger(n) && Math.abs(n) <= Number.MAX_SAFE_INTEGER ? n + 0 : undefined;
}

function asU32(v: unknown): number | undefined {
  const n = asInteger(v);
  return n !== undefined && n >= 0 && n <= 0xffff_ffff ? n : undefined;
}

export function asNumbers(v: unknown, len: number): number[] | undefined {
  if (!Array.isArray(v) || v.length !== len) return undefined;
  const out: number[] = [];
  for (const value of v) {
    const n = asNumber(value);
    if (n === undefined) return undefined;
    out.push(n);
  }
  return out;
}
