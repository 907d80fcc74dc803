// Page geometry for the editor, pure functions only: relative boxes (SPEC §6.1) ↔ pixels,
// the core aspect ratio of a product group (SPEC §6.2), and fitting a photo into its slot on
// the limiting dimension with pan and zoom, exactly as crdt-schema/src/geometry/photo.rs.

import type { Box } from '../schema';

/** A rectangle in pixels, top-left origin, y down. */
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A page drawn at `width` × `height` pixels. */
export interface PageSize {
  width: number;
  height: number;
}

/** The pixel size of a page `width` pixels wide at aspect ratio `car` (width / height). */
export function pageSize(width: number, car: number): PageSize {
  return { width, height: width / car };
}

/**
 * The largest page width such that a spread of `pages` pages side by side at `car` fits in
 * `available` pixels (width × height).
 */
export function fitSpreadWidth(available: PageSize, car: number, pages: number): number {
  const byWidth = available.width / Math.max(1, pages);
  const byHeight = available.height * car;
  return Math.max(1, Math.floor(Math.min(byWidth, byHeight)));
}

/** The unrotated pixel rectangle of a relative box on a page of `size`. */
export function boxToRect(box: Box, size: PageSize): Rect {
  const [x, y, w, h] = box;
  return {
    x: (x - w / 2 + 0.5) * size.width,
    y: (y - h / 2 + 0.5) * size.height,
    w: w * size.width,
    h: h * size.height,
  };
}

/** The relative box of a pixel rectangle on a page of `size`, keeping rotation `rot`. */
export function rectToBox(rect: Rect, size: PageSize, rot = 0): Box {
  const w = rect.w / size.width;
  const h = rect.h / size.height;
  return [rect.x / size.width - 0.5 + w / 2, rect.y / size.height - 0.5 + h / 2, w, h, rot];
}

/** A pixel point on the page → relative page coordinates (origin at the centre). */
export function pointToRelative(px: number, py: number, size: PageSize): [number, number] {
  return [px / size.width - 0.5, py / size.height - 0.5];
}

/** Relative page coordinates → a pixel point on the page. */
export function relativeToPoint(x: number, y: number, size: PageSize): [number, number] {
  return [(x + 0.5) * size.width, (y + 0.5) * size.height];
}

/** A pixel drag `(dx, dy)` → the change of a box's relative centre. */
export function dragDelta(dx: number, dy: number, size: PageSize): [number, number] {
  return [dx / size.width, dy / size.height];
}

/**
 * The largest rotation the editor writes, in degrees. SPEC §6.3 rule 2 (corrected) lets `rot`
 * reach ±360; the editor keeps rotations normalised to (-180, 180], so a photo can be turned
 * on its side or upside down.
 */
export const MAX_ROTATION = 180;

/** Keeps `box` within ±limit (SPEC §6.3 rule 2) and its size at least `minSize`. */
export function clampBox(box: Box, minSize = 0.01, limit = 10): Box {
  const c = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
  return [c(box[0], -limit, limit), c(box[1], -limit, limit), c(box[2], minSize, limit), c(box[3], minSize, limit), c(normalizeRotation(box[4]), -MAX_ROTATION, MAX_ROTATION)];
}

/** Degrees in (-180, 180]. */
export function normalizeRotation(rot: number): number {
  if (!Number.isFinite(rot)) return 0;
  let r = rot % 360;
  if (r <= -180) r += 360;
  if (r > 180) r -= 360;
  return r;
}

// ---------------------------------------------------------------------------------------
// Core aspect ratio (crdt-schema geometry/car.rs)

/** The fraction of content at ratio `content` lost when fitted onto `target` (seed 004). */
export function overlapLoss(content: number, target: number): number {
  return 1 - Math.min(content / target, target / content);
}

export function meanSquaredOverlapError(candidate: number, ratios: readonly number[]): number {
  if (ratios.length === 0) return 0;
  return ratios.reduce((s, r) => s + overlapLoss(candidate, r) ** 2, 0) / ratios.length;
}

const CAR_SAMPLES = 1024;

/** The ratio within the ratios' range that minimises the mean squared overlap error. */
export function coreAspectRatioOf(input: readonly number[]): number {
  const ratios = input.filter((r) => Number.isFinite(r) && r > 0);
  if (ratios.length === 0) return 1;
  const lo = Math.min(...ratios);
  const hi = Math.max(...ratios);
  if (hi - lo <= Number.EPSILON * hi) return lo;
  const error = (r: number) => meanSquaredOverlapError(r, ratios);
  const at = (i: number) => lo + ((hi - lo) * i) / CAR_SAMPLES;
  let best = 0;
  for (let i = 1; i <= CAR_SAMPLES; i++) if (error(at(i)) < error(at(best))) best = i;
  let a = at(Math.max(0, best - 1));
  let b = at(Math.min(CAR_SAMPLES, best + 1));
  const invPhi = (Math.sqrt(5) - 1) / 2;
  let c = b - invPhi * (b - a);
  let d = a + invPhi * (b - a);
  for (let i = 0; i < 200 && b - a > 1e-12; i++) {
    if (error(c) < error(d)) b = d;
    else a = c;
    c = b - invPhi * (b - a);
    d = a + invPhi * (b - a);
  }
  const refined = (a + b) / 2;
  return error(refined) <= error(at(best)) ? refined : at(best);
}

/** A product as GET /api/products gives it. */
export interface Product {
  id: string;
  name: string;
  trim_in: [number, number];
  bleed_in: number;
  safe_in: number;
  gutter_in: number;
  group: string;
  core_aspect?: number;
}

/** The viewable ratio of a product: trim less the gutter allowance in width. */
export function viewableRatio(p: Product): number {
  return (p.trim_in[0] - p.gutter_in) / p.trim_in[1];
}

/**
 * The core aspect ratio of `product`'s group: the server's `core_aspect` when given, else
 * computed as crdt-schema does (square groups are exactly 1).
 */
export function coreAspectFor(product: Product | undefined, all: readonly Product[]): number {
  if (!product) return 1;
  if (typeof product.core_aspect === 'number' && product.core_aspect > 0) return product.core_aspect;
  const group = product.group.toLowerCase();
  if (group === 'square') return 1;
  return coreAspectRatioOf(all.filter((p) => p.group.toLowerCase() === group).map(viewableRatio));
}

// ---------------------------------------------------------------------------------------
// Photos in slots (crdt-schema geometry/photo.rs)

/** How a photo sits in its slot: the document's `photo.pan` and `photo.zoom`. */
export interface PhotoView {
  pan: [number, number];
  zoom: number;
}

export const DEFAULT_VIEW: PhotoView = { pan: [0, 0], zoom: 1 };
/** The largest zoom the editor offers. */
export const MAX_ZOOM = 5;

/** The nearest valid view: pans within [-1, 1], zoom at least 1 (PhotoView::clamped). */
export function clampView(pan: readonly number[], zoom: number, maxZoom = MAX_ZOOM): PhotoView {
  const p = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? Math.min(1, Math.max(-1, v)) : 0);
  const z = Number.isFinite(zoom) ? Math.min(maxZoom, Math.max(1, zoom)) : 1;
  return { pan: [p(pan[0]), p(pan[1])], zoom: z };
}

export type LimitingDimension = 'width' | 'height';

/** The photo dimension that spans the slot when the photo just covers it. */
export function limitingDimension(photo: [number, number], slot: [number, number]): LimitingDimension {
  return photo[0] / slot[0] > photo[1] / slot[1] ? 'height' : 'width';
}

export interface PhotoFit {
  /** The visible part of the photo in photo pixels. */
  crop: Rect;
  limiting: LimitingDimension;
  /** Slot units per photo pixel. */
  scale: number;
  cropLoss: number;
}

/**
 * Fits a photo of `photo` pixels into a slot of `slot` size (any unit) under `view`: cover
 * with one uniform scale on the limiting dimension, zoom shrinks the window about its centre,
 * pan moves it within the overflow. Null for an empty photo or slot.
 */
export function fitPhoto(photo: [number, number], slot: [number, number], view: PhotoView = DEFAULT_VIEW): PhotoFit | null {
  const [pw, ph] = photo;
  const [sw, sh] = slot;
  if (!(pw > 0 && ph > 0 && sw > 0 && sh > 0 && Number.isFinite(sw) && Number.isFinite(sh))) return null;
  const v = clampView(view.pan, view.zoom, Infinity);
  const limiting = limitingDimension(photo, slot);
  const perUnit = limiting === 'height' ? ph / sh : pw / sw;
  const cw = Math.min(sw * perUnit, pw) / v.zoom;
  const ch = Math.min(sh * perUnit, ph) / v.zoom;
  const x = Math.min(pw - cw, Math.max(0, ((pw - cw) / 2) * (1 + v.pan[0])));
  const y = Math.min(ph - ch, Math.max(0, ((ph - ch) / 2) * (1 + v.pan[1])));
  return { crop: { x, y, w: cw, h: ch }, limiting, scale: v.zoom / perUnit, cropLoss: 1 - (cw * ch) / (pw * ph) };
}

/**
 * Where to draw the whole photo, in slot pixels, so that the slot shows exactly the fit's
 * crop: an `<img>` at this rectangle inside an overflow-hidden slot.
 */
export function photoPlacement(photo: [number, number], slot: [number, number], view: PhotoView = DEFAULT_VIEW): Rect | null {
  const fit = fitPhoto(photo, slot, view);
  if (!fit) return null;
  return { x: -fit.crop.x * fit.scale, y: -fit.crop.y * fit.scale, w: photo[0] * fit.scale, h: photo[1] * fit.scale };
}

/**
 * The view after dragging the photo by `(dx, dy)` slot pixels: the photo follows the pointer,
 * so the window moves the other way, by the fraction of the overflow that the drag covers.
 * An axis with no overflow keeps its pan.
 */
export function panBy(photo: [number, number], slot: [number, number], view: PhotoView, dx: number, dy: number): PhotoView {
  const fit = fitPhoto(photo, slot, view);
  if (!fit) return view;
  const overflowX = (photo[0] - fit.crop.w) * fit.scale; // slot pixels of hidden width
  const overflowY = (photo[1] - fit.crop.h) * fit.scale;
  const px = overflowX > 1e-9 ? view.pan[0] - (2 * dx) / overflowX : view.pan[0];
  const py = overflowY > 1e-9 ? view.pan[1] - (2 * dy) / overflowY : view.pan[1];
  return clampView([px, py], view.zoom);
}

/** The view zoomed by `factor` about the centre of the window, pan kept. */
export function zoomBy(view: PhotoView, factor: number): PhotoView {
  return clampView(view.pan, view.zoom * factor);
}

/**
 * The relative box for a new photo item of `photo` pixels centred at `(x, y)` on a page at
 * `car`, `width` of the page wide, keeping the photo's own shape.
 */
export function photoBoxAt(photo: [number, number], car: number, x: number, y: number, width = 0.4): Box {
  const aspect = photo[0] > 0 && photo[1] > 0 ? photo[0] / photo[1] : 1;
  const h = Math.min(0.9, (width * car) / aspect);
  const w = (h * aspect) / car;
  return [x, y, w, h, 0];
}

/**
 * Which stored size of a photo to show in `slotPx` pixels: the smallest that still covers
 * the crop at the device's pixel density (seed 004's limiting-dimension rule), else the largest.
 */
export function chooseSizeIndex(sizes: readonly { w: number; h: number }[], needed: [number, number]): number {
  for (let i = 0; i < sizes.length; i++) {
    const s = sizes[i]!;
    if (s.w >= needed[0] && s.h >= needed[1]) return i;
  }
  return Math.max(0, sizes.length - 1);
}

// ---------------------------------------------------------------------------------------
// Spreads (server/src/print/preflight.rs `page_sides`)

export type PageSide = 'left' | 'right';

type Kind = 'front-cover' | 'back-cover' | 'spine' | 'inside-front' | 'inside-back' | 'page';

/**
 * The side of each page in book order, as print binds it: the front cover is a right-hand
 * page and the back cover a left-hand one; inside pages alternate from page 1 on the right,
 * unless the inside front cover comes first and is the left of that spread. The spine has none.
 */
export function pageSides(kinds: readonly Kind[]): (PageSide | null)[] {
  const inside = (k: Kind) => k === 'inside-front' || k === 'inside-back' || k === 'page';
  const first: PageSide = kinds.find(inside) === 'inside-front' ? 'left' : 'right';
  const facing = (s: PageSide): PageSide => (s === 'left' ? 'right' : 'left');
  let n = 0;
  return kinds.map((k) => {
    if (k === 'front-cover') return 'right';
    if (k === 'back-cover') return 'left';
    if (k === 'spine') return null;
    return n++ % 2 === 0 ? first : facing(first);
  });
}

/** Pages shown side by side: a left and a right page, either possibly missing; or the spine alone. */
export interface Spread<T> {
  left: T | null;
  right: T | null;
  /** The spine, shown alone. */
  alone: T | null;
}

/**
 * Pairs pages into spreads: an inside left page and the inside right page after it face
 * each other; covers and lone inside pages get an empty facing side.
 */
export function spreadsOf<T extends { kind: Kind }>(pages: readonly T[]): Spread<T>[] {
  const sides = pageSides(pages.map((p) => p.kind));
  const spreads: Spread<T>[] = [];
  let open: Spread<T> | null = null;
  pages.forEach((page, i) => {
    const side = sides[i];
    const inside = page.kind !== 'front-cover' && page.kind !== 'back-cover' && page.kind !== 'spine';
    if (side === null || side === undefined) {
      spreads.push({ left: null, right: null, alone: page });
      open = null;
    } else if (side === 'left') {
      const s: Spread<T> = { left: page, right: null, alone: null };
      spreads.push(s);
      open = inside ? s : null;
    } else if (open && inside) {
      open.right = page;
      open = null;
    } else {
      spreads.push({ left: null, right: page, alone: null });
      open = null;
    }
  });
  return spreads;
}

export { boxBounds, checkBox, pageFrame, toRelative, type BoundaryCheck, type PageFrame } from './print';
