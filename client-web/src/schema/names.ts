// The names, kinds and limits of the book document (SPEC §6): a hand mirror of
// crdt-schema/src/schema.rs, checked against it by names.test.ts.

/** Root map of book-wide fields. */
export const ROOT_META = 'meta';
/** Root array of page maps, in book order. */
export const ROOT_PAGES = 'pages';

/** Keys of `meta`. */
export const META = {
  SCHEMA: 'schema',
  TITLE: 'title',
  PRODUCT: 'product',
  THEME: 'theme',
} as const;

/** Keys of a page map. */
export const PAGE = {
  ID: 'id',
  KIND: 'kind',
  LAYOUT: 'layout',
  BACKGROUND: 'background',
  ITEMS: 'items',
  CREATED_BY: 'createdBy',
  AUTO: 'auto',
} as const;

export const PAGE_KINDS = ['front-cover', 'back-cover', 'spine', 'inside-front', 'inside-back', 'page'] as const;

/** Keys of an item map. */
export const ITEM = {
  ID: 'id',
  KIND: 'kind',
  BOX: 'box',
  Z: 'z',
  CREATED_BY: 'createdBy',
  PHOTO: 'photo',
  TEXT: 'text',
  STYLE: 'style',
  SLOT: 'slot',
} as const;

export const ITEM_KINDS = ['photo', 'text', 'sticker', 'shape'] as const;

/** Keys allowed inside the `style` JSON object. */
export const STYLE_KEYS = ['font', 'size', 'color', 'align', 'opacity', 'shadow', 'border', 'frame'] as const;

/** The schema version this build reads and writes. */
export const SCHEMA_VERSION = 1;
/** `x`, `y`, `w` and `h` of a `box` lie within ±BOX_LIMIT (SPEC §6.3 rule 2). */
export const BOX_LIMIT = 10.0;
/** `rot` of a `box` lies within ±ROT_LIMIT degrees (SPEC §6.3 rule 2, corrected). */
export const ROT_LIMIT = 360.0;

/** The bound on the `index`th number of a box (0 = x … 4 = rot). */
export function boxLimit(index: number): number {
  return index === 4 ? ROT_LIMIT : BOX_LIMIT;
}
/** Longest plain string field, in bytes. */
export const MAX_STRING_BYTES = 2048;
/** Longest Y.Text, in UTF-16 units. */
export const MAX_TEXT_LEN = 20_000;
/** Largest single update accepted from a client, in bytes. */
export const MAX_UPDATE_BYTES = 2 * 1024 * 1024;
/** The user id server-side workers write as (SPEC §6.3 rule 5). */
export const SYSTEM_USER = '00000000-0000-0000-0000-000000000000';
