// Print boundaries against crdt-schema's bounds.rs cases.

import { describe, expect, it } from 'vitest';

import type { Product } from './index';
import { checkBox, pageFrame, toRelative } from './print';

const square8: Product = { id: 'square-8x8', name: '8×8', trim_in: [8, 8], bleed_in: 0.125, safe_in: 0.25, gutter_in: 0.375, group: 'square' };

describe('print boundaries, as crdt-schema checks them', () => {
  it('keeps a centred item clear', () => {
    expect(checkBox(pageFrame(square8, 1, 'right'), [0, 0, 0.5, 0.5, 0])).toEqual({ offPage: false, intersectsGutter: false, crossesSafeArea: false });
  });

  it('puts the gutter on the binding side', () => {
    const leftEdge: [number, number, number, number, number] = [-0.55, 0, 0.2, 0.2, 0];
    const right = checkBox(pageFrame(square8, 1, 'right'), leftEdge);
    expect(right).toEqual({ offPage: false, intersectsGutter: true, crossesSafeArea: true });
    const left = checkBox(pageFrame(square8, 1, 'left'), leftEdge);
    expect(left.intersectsGutter).toBe(false);
    expect(left.crossesSafeArea).toBe(true);
    expect(checkBox(pageFrame(square8, 1, 'left'), [0.55, 0, 0.2, 0.2, 0]).intersectsGutter).toBe(true);
  });

  it('lets an item touch the gutter edge, and finds items wholly off the page', () => {
    expect(checkBox(pageFrame(square8, 1, 'right'), [-0.4, 0, 0.2, 0.2, 0]).intersectsGutter).toBe(false);
    expect(checkBox(pageFrame(square8, 1, 'right'), [2, 2, 0.2, 0.2, 0]).offPage).toBe(true);
  });

  it('counts rotation in the bounds', () => {
    const f = pageFrame(square8, 1, 'right');
    // The outer edge is cut (the viewable area is narrower than the square content): the safe
    // line on the right lies at (7.625 - 0.25) / 8 - 0.5 = 0.421875.
    expect(checkBox(f, [0.2, 0, 0.3, 0.05, 0]).crossesSafeArea).toBe(false);
    expect(checkBox(f, [0.3, 0, 0.3, 0.05, 0]).crossesSafeArea).toBe(true);
    expect(checkBox(f, [0.3, 0, 0.3, 0.05, 90]).crossesSafeArea).toBe(false);
    expect(checkBox(f, [0.35, 0.35, 0.2, 0.2, 45]).crossesSafeArea).toBe(true);
  });

  it('draws the safe area inside the relative page', () => {
    const safe = toRelative(pageFrame(square8, 1, 'right'), pageFrame(square8, 1, 'right').safe);
    expect(safe.x).toBeCloseTo(-0.5 + 0.25 / 8, 9);
    expect(safe.x + safe.w).toBeCloseTo(0.421875, 9);
    expect(safe.y).toBeGreaterThan(-0.5);
  });
});
