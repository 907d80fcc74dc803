// The plain objects of a book (SPEC §6) as readBook returns them and the edits take them.
// Their JSON is the contract shared with crdt-schema's `model/types.rs`.

import type { ITEM_KINDS, PAGE_KINDS } from './names';

export type PageKind = (typeof PAGE_KINDS)[number];
export type ItemKind = (typeof ITEM_KINDS)[number];
export type Align = 'left' | 'center' | 'right' | 'justify';
export const ALIGNS: readonly Align[] = ['left', 'center', 'right', 'justify'];

/** A whole book: `meta` and the pages in book order. */
export interface Book {
  meta: Meta;
  pages: Page[];
}

export interface Meta {
  schema: number;
  title: string;
  product: string;
  theme: string;
}

/** One page. `items` are sorted by `z`, then by id. */
export interface Page {
  id: string;
  kind: PageKind;
  layout: string | null;
  background: Background;
  items: Item[];
  createdBy: string;
  auto: boolean;
}

/** What addPage writes. A page starts with no items. */
export interface NewPage {
  id: string;
  kind: PageKind;
  layout: string | null;
  background: Background;
  createdBy: string;
  auto: boolean;
}

export interface Background {
  color?: string;
  asset?: string;
  flip: boolean;
}

/** `[x, y, w, h, rot]` relative to the page (SPEC §6.1). */
export type Box = [number, number, number, number, number];

export interface Item {
  id: string;
  kind: ItemKind;
  box: Box;
  z: number;
  createdBy: string;
  photo?: PhotoRef;
  /** The content of the item's Y.Text (a text item's text or a caption). */
  text?: string;
  style: Style;
  slot: number | null;
}

/** A new item is written exactly as it will read back. */
export type NewItem = Item;

export interface PhotoRef {
  id: string;
  pan: [number, number];
  zoom: number;
}

/** An item's look. An absent field means the theme's default. */
export interface Style {
  font?: string;
  size?: number;
  color?: string;
  align?: Align;
  opacity?: number;
  shadow?: boolean;
  border?: Border;
  /** A frame id from the theme. */
  frame?: string;
}

/** A line around an item; `width` is a fraction of the page width, like the box. */
export interface Border {
  width: number;
  color: string;
}
