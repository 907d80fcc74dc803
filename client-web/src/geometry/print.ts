// Print boundaries of a page (crdt-schema geometry/page.rs and bounds.rs): where a product's
// trim, gutter and safe area fall on the relative page at the core aspect ratio, and which
// boundaries an item's rotated box breaks. The editor draws the guides and warns live;
// the server's preflight is the judge at print time.

import type { Box } from '../schema';
import type { PageSide, Product, Rect } from './index';

const PT = 72;

/** A product page's rectangles in points (top-left origin) and the map from relative units. */
export interface PageFrame {
  trim: Rect;
  gutter: Rect;
  safe: Rect;
  /** Relative → points: `offset + scale ⊙ rel`. */
  scale: [number, number];
  offset: [number, number];
}

export function pageFrame(product: Product, car: number, side: PageSide): PageFrame {
  const c = Number.isFinite(car) && car > 0 ? car : 1;
  const [tw, th] = [product.trim_in[0] * PT, product.trim_in[1] * PT];
  const [b, g, s] = [product.bleed_in * PT, product.gutter_in * PT, product.safe_in * PT];
  const canvas = { x: 0, y: 0, w: tw + 2 * b, h: th + 2 * b };
  const gutterOnLeft = side === 'right';
  const viewable = gutterOnLeft ? { x: b + g, y: b, w: tw - g, h: th } : { x: b, y: b, w: tw - g, h: th };
  const gutter = gutterOnLeft ? { x: 0, y: 0, w: b + g, h: canvas.h } : { x: b + tw - g, y: 0, w: canvas.w - (b + tw - g), h: canvas.h };
  const safe = { x: viewable.x + s, y: viewable.y + s, w: viewable.w - 2 * s, h: viewable.h - 2 * s };
  const r = viewable.w / viewable.h;
  let content: Rect;
  if (c <= r) {
    const h = viewable.w / c;
    content = { x: viewable.x, y: viewable.y + (viewable.h - h) / 2, w: viewable.w, h };
  } else {
    const w = viewable.h * c;
    content = { x: gutterOnLeft ? viewable.x : viewable.x + viewable.w - w, y: viewable.y, w, h: viewable.h };
  }
  return { trim: { x: b, y: b, w: tw, h: th }, gutter, safe, scale: [content.w, content.h], offset: [content.x + content.w / 2, content.y + content.h / 2] };
}

/** A rectangle in points → the same rectangle in relative page units (top-left corner). */
export function toRelative(frame: PageFrame, r: Rect): Rect {
  return { x: (r.x - frame.offset[0]) / frame.scale[0], y: (r.y - frame.offset[1]) / frame.scale[1], w: r.w / frame.scale[0], h: r.h / frame.scale[1] };
}

/** The axis-aligned bounds, in points, of a box after its rotation. */
export function boxBounds(frame: PageFrame, box: Box): Rect {
  const [x, y, w, h, rot] = box;
  const cx = frame.offset[0] + frame.scale[0] * x;
  const cy = frame.offset[1] + frame.scale[1] * y;
  const pw = w * frame.scale[0];
  const ph = h * frame.scale[1];
  const a = (rot * Math.PI) / 180;
  const bw = Math.abs(pw * Math.cos(a)) + Math.abs(ph * Math.sin(a));
  const bh = Math.abs(pw * Math.sin(a)) + Math.abs(ph * Math.cos(a));
  return { x: cx - bw / 2, y: cy - bh / 2, w: bw, h: bh };
}

export interface BoundaryCheck {
  offPage: boolean;
  intersectsGutter: boolean;
  crossesSafeArea: boolean;
}

function overlaps(a: Rect, b: Rect, tol: number): boolean {
  return a.x < b.x + b.w - tol && b.x < a.x + a.w - tol && a.y < b.y + b.h - tol && b.y < a.y + a.h - tol;
}

function contains(outer: Rect, inner: Rect, tol: number): boolean {
  return inner.x >= outer.x - tol && inner.y >= outer.y - tol && inner.x + inner.w <= outer.x + outer.w + tol && inner.y + inner.h <= outer.y + outer.h + tol;
}

/** Which print boundaries a box breaks on this page (PageFrame::check_box). */
export function checkBox(frame: PageFrame, box: Box): BoundaryCheck {
  const bounds = boxBounds(frame, box);
  const tol = 1e-9 * (frame.trim.w + 2 * frame.trim.x);
  const onPage = overlaps(bounds, frame.trim, tol) || contains(frame.trim, bounds, 0);
  return { offPage: !onPage, intersectsGutter: overlaps(bounds, frame.gutter, tol), crossesSafeArea: !contains(frame.safe, bounds, tol) };
}
