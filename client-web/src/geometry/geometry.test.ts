// Geometry helpers against crdt-schema's own cases: boxes and pixels, the core aspect ratio, photo fits, spreads.

import { describe, expect, it } from 'vitest';

import {
  boxToRect,
  chooseSizeIndex,
  clampBox,
  clampView,
  coreAspectFor,
  coreAspectRatioOf,
  fitPhoto,
  fitSpreadWidth,
  normalizeRotation,
  panBy,
  photoBoxAt,
  photoPlacement,
  pointToRelative,
  rectToBox,
  pageSides,
  spreadsOf,
  zoomBy,
  type Product,
} from './index';

const close = (a: number, b: number, eps = 1e-9) => expect(Math.abs(a - b)).toBeLessThan(eps);

describe('relative boxes and pixels', () => {
  const size = { width: 400, height: 300 };

  it('maps a centred box to the middle of the page', () => {
    expect(boxToRect([0, 0, 0.5, 0.5, 0], size)).toEqual({ x: 100, y: 75, w: 200, h: 150 });
  });

  it('round-trips a box through pixels', () => {
    const box: [number, number, number, number, number] = [-0.2, 0.31, 0.25, 0.1, 15];
    const back = rectToBox(boxToRect(box, size), size, 15);
    back.forEach((v, i) => close(v, box[i]!));
  });

  it('puts the page corners at ±0.5', () => {
    expect(pointToRelative(0, 0, size)).toEqual([-0.5, -0.5]);
    expect(pointToRelative(400, 300, size)).toEqual([0.5, 0.5]);
  });

  it('clamps boxes to the validator limits and keeps a minimum size', () => {
    expect(clampBox([20, -20, 0, 0.5, 370])).toEqual([10, -10, 0.01, 0.5, 10]);
    expect(clampBox([0, 0, 0.5, 0.5, 90])[4]).toBe(90); // SPEC §6.3 rule 2: rot within ±360
    expect(clampBox([0, 0, 0.5, 0.5, 270])[4]).toBe(-90);
    expect(clampBox([0, 0, 0.5, 0.5, -7])[4]).toBe(-7);
    expect(normalizeRotation(-190)).toBe(170);
    expect(normalizeRotation(Number.NaN)).toBe(0);
  });

  it('fits a spread in the available area at the aspect ratio', () => {
    expect(fitSpreadWidth({ width: 800, height: 300 }, 1, 2)).toBe(300);
    expect(fitSpreadWidth({ width: 600, height: 1000 }, 1.5, 2)).toBe(300);
  });
});

describe('core aspect ratio', () => {
  it('is the ratio itself for one product and 1 for none', () => {
    expect(coreAspectRatioOf([1.3])).toBe(1.3);
    expect(coreAspectRatioOf([])).toBe(1);
  });

  it('lies between the ratios and minimises the error', () => {
    const ratios = [(11 - 0.375) / 8.5, (8 - 0.25) / 6, (14 - 0.5) / 11, (6 - 0.25) / 4];
    const car = coreAspectRatioOf(ratios);
    expect(car).toBeGreaterThan(Math.min(...ratios));
    expect(car).toBeLessThan(Math.max(...ratios));
    const err = (r: number) => ratios.reduce((s, x) => s + (1 - Math.min(r / x, x / r)) ** 2, 0);
    expect(err(car)).toBeLessThanOrEqual(err(car + 0.001));
    expect(err(car)).toBeLessThanOrEqual(err(car - 0.001));
  });

  it('uses the server value when given and 1 for square groups', () => {
    const sq: Product = { id: 's', name: 's', trim_in: [8, 8], bleed_in: 0.125, safe_in: 0.25, gutter_in: 0.375, group: 'square' };
    expect(coreAspectFor(sq, [sq])).toBe(1);
    expect(coreAspectFor({ ...sq, core_aspect: 1.25 }, [sq])).toBe(1.25);
    expect(coreAspectFor(undefined, [])).toBe(1);
  });
});

describe('photos in slots, as crdt-schema fits them', () => {
  it('limits a wide photo in a square slot by its height', () => {
    const fit = fitPhoto([4000, 2000], [100, 100])!;
    expect(fit.limiting).toBe('height');
    expect(fit.crop).toEqual({ x: 1000, y: 0, w: 2000, h: 2000 });
    close(fit.scale, 0.05);
    close(fit.cropLoss, 0.5);
  });

  it('limits a tall photo in a wide slot by its width', () => {
    const fit = fitPhoto([3000, 4000], [300, 100])!;
    expect(fit.limiting).toBe('width');
    expect(fit.crop).toEqual({ x: 0, y: 1500, w: 3000, h: 1000 });
  });

  it('pans within the overflow and zooms the window about its centre', () => {
    expect(fitPhoto([4000, 2000], [1, 1], { pan: [-1, 0], zoom: 1 })!.crop.x).toBe(0);
    const right = fitPhoto([4000, 2000], [1, 1], { pan: [1, 0], zoom: 1 })!.crop;
    expect(right.x + right.w).toBe(4000);
    expect(fitPhoto([4000, 2000], [1, 1], { pan: [0, 0], zoom: 2 })!.crop).toEqual({ x: 1500, y: 500, w: 1000, h: 1000 });
    expect(fitPhoto([4000, 2000], [1, 1], { pan: [1, 1], zoom: 2 })!.crop).toEqual({ x: 3000, y: 1000, w: 1000, h: 1000 });
  });

  it('refuses empty photos and slots', () => {
    expect(fitPhoto([0, 10], [1, 1])).toBeNull();
    expect(fitPhoto([10, 10], [0, 1])).toBeNull();
  });

  it('places the image so the slot shows exactly the crop', () => {
    const p = photoPlacement([4000, 2000], [100, 100])!;
    expect(p).toEqual({ x: -50, y: -0, w: 200, h: 100 });
  });

  it('clamps views like PhotoView::clamped', () => {
    expect(clampView([2, Number.NaN], 0.2)).toEqual({ pan: [1, 0], zoom: 1 });
    expect(zoomBy({ pan: [0.5, 0], zoom: 4 }, 10).zoom).toBe(5);
  });

  it('pans with the pointer and stops at the photo edge', () => {
    // 200×100 px drawn, 100 px of hidden width: dragging right by 50 px shows the left edge.
    const v = panBy([4000, 2000], [100, 100], { pan: [0, 0], zoom: 1 }, 50, 30);
    expect(v.pan[0]).toBe(-1);
    expect(v.pan[1]).toBe(0); // no overflow along the limiting dimension
    const far = panBy([4000, 2000], [100, 100], { pan: [0, 0], zoom: 1 }, -500, 0);
    expect(far.pan[0]).toBe(1);
  });

  it('keeps the photo shape for a new item', () => {
    const [, , w, h] = photoBoxAt([3000, 2000], 1, 0, 0, 0.45);
    close(w / h, 1.5);
    close(w, 0.45);
  });

  it('chooses the smallest stored size that covers the need', () => {
    const sizes = [{ w: 256, h: 171 }, { w: 1024, h: 683 }, { w: 2048, h: 1365 }];
    expect(chooseSizeIndex(sizes, [300, 200])).toBe(1);
    expect(chooseSizeIndex(sizes, [5000, 5000])).toBe(2);
    expect(chooseSizeIndex(sizes, [10, 10])).toBe(0);
  });
});

describe('spreads', () => {
  const p = (kind: Parameters<typeof spreadsOf>[0][number]['kind'], id: string) => ({ kind, id });

  it('binds like print: page 1 on the right, then facing pairs', () => {
    const pages = [p('front-cover', 'fc'), p('page', '1'), p('page', '2'), p('page', '3'), p('back-cover', 'bc')];
    expect(pageSides(pages.map((x) => x.kind))).toEqual(['right', 'right', 'left', 'right', 'left']);
    const ids = spreadsOf(pages).map((s) => [s.left?.id ?? '-', s.right?.id ?? '-']);
    expect(ids).toEqual([['-', 'fc'], ['-', '1'], ['2', '3'], ['bc', '-']]);
  });

  it('starts on the left with an inside front cover, and shows the spine alone', () => {
    const pages = [p('inside-front', 'if'), p('page', '1'), p('spine', 's'), p('page', '2')];
    expect(pageSides(pages.map((x) => x.kind))).toEqual(['left', 'right', null, 'left']);
    const s = spreadsOf(pages);
    expect(s.map((x) => [x.left?.id ?? '-', x.right?.id ?? '-', x.alone?.id ?? '-'])).toEqual([['if', '1', '-'], ['-', '-', 's'], ['2', '-', '-']]);
  });
});
