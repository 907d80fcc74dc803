#!/usr/bin/env python3
"""Generates the layout library, assets/layouts/{square,portrait,landscape}.json.

Run from anywhere: `python3 assets/gen_layouts.py` (about 40 s). The output is deterministic, so a
diff after a run shows exactly what a change to this script did. The server embeds the JSON
and validates it (server/src/layouts.rs); this script only has to produce good designs.

Conventions (SPEC §6.1, crdt-schema/src/geometry): a slot's `box` is `[x, y, w, h, rot]` with
`(x, y)` the slot's centre, the origin at the page centre, `x`/`w` fractions of the page width,
`y`/`h` fractions of the page height, `y` down. A page is drawn at its group's core aspect
ratio (CAR), so a slot's real shape is `w / h * CAR`.

How a page is designed:
* Every photo slot has the aspect ratio of the photos it is meant for: `L` 4:3 or 3:2, `P` 3:4
  or 2:3, `S` 1:1. A layout uses one family (4:3 and 3:4, or 3:2 and 2:3), so automix can pick
  the family that crops a book's photos least.
* Slots are arranged as a slicing tree (rows of columns of rows ...) with a fixed gap, scaled
  to fit the content area on its limiting dimension and centred in it. The content area is the
  page less a margin that keeps every slot inside the safe area of every product of the group,
  on left and right pages (the Rust tests check this).
* For each multiset of shapes every tree is scored by how much of the content area its photos
  fill and how even their sizes are; the best tree becomes the layout, and for 2 to 4 photos
  the best tree with another arrangement (not the first mirrored left-right or top-bottom,
  nor the first in the other family, nor another tree drawing the same grid) becomes a second,
  `-b`, layout.
* A caption is a text band of fixed height directly under its photo slot, as wide as the
  slot: `caption: true` plus `caption_box`. Caption layouts caption every slot.
* A few bleed layouts reach the page edges: the full-bleed single photo of the group's own
  shape, and a split page.
"""

import itertools
import json
import os

# The core aspect ratios of crdt-schema's `core_aspect_ratio` (checked by the Rust tests,
# which recompute every slot's shape at the real CAR).
CARS = {"square": 1.0, "portrait": 8.125 / 11.0, "landscape": 1.29636}

# Margins in units of the page height, per group: round values that keep content just
# inside the intersection of the safe areas of the group's products (the 6x4 mini's cut top and
# bottom rule the landscape group; the square pages' trimmed outer edge the square group).
MARGIN = {"square": 0.09, "portrait": 0.06, "landscape": 0.105}
GAP = 0.025  # between slots, in units of the page height
CAPTION_GAP = 0.012  # between a photo and its caption band
CAPTION_H = 0.05  # the caption band's height

FAMILIES = {"a": {"L": 4 / 3, "P": 3 / 4, "S": 1.0}, "b": {"L": 3 / 2, "P": 2 / 3, "S": 1.0}}
SHAPES = "LPS"


class Leaf:
    def __init__(self, shape, aspect, caption):
        self.shape, self.aspect, self.caption = shape, aspect, caption
        c = CAPTION_GAP + CAPTION_H if caption else 0.0
        # Width as an affine function of the block's height: w = alpha * h + beta.
        self.alpha, self.beta = aspect, -aspect * c

    def place(self, x, y, w, h, out):
        photo_h = h - (CAPTION_GAP + CAPTION_H if self.caption else 0.0)
        out.append((self.shape, (x, y, w, photo_h), (x, y + photo_h + CAPTION_GAP, w, CAPTION_H) if self.caption else None))

    def key(self, flip_x=False, flip_y=False):
        return self.shape


class Node:
    """Children side by side (`row`, common height) or stacked (`col`, common width)."""

    def __init__(self, row, children):
        self.row, self.children = row, children
        k = len(children)
        if row:
            self.alpha = sum(c.alpha for c in children)
            self.beta = sum(c.beta for c in children) + (k - 1) * GAP
        else:
            inv = sum(1 / c.alpha for c in children)
            self.alpha = 1 / inv
            self.beta = (sum(c.beta / c.alpha for c in children) - (k - 1) * GAP) * self.alpha

    def place(self, x, y, w, h, out):
        for c in self.children:
            if self.row:
                cw = c.alpha * h + c.beta
                c.place(x, y, cw, h, out)
                x += cw + GAP
            else:
                ch = (w - c.beta) / c.alpha
                c.place(x, y, w, ch, out)
                y += ch + GAP

    def key(self, flip_x=False, flip_y=False):
        """The arrangement as text, optionally as seen in a mirror (left-right or top-bottom)."""
        children = self.children[::-1] if (flip_x if self.row else flip_y) else self.children
        return ("r" if self.row else "c") + "(" + ",".join(c.key(flip_x, flip_y) for c in children) + ")"

    def keys_up_to_mirroring(self):
        return {self.key(fx, fy) for fx in (False, True) for fy in (False, True)}


def ordered_splits(counts):
    """Every ordered sequence of at least two non-empty sub-multisets summing to `counts`."""
    total = sum(counts)

    def rec(rest, parts):
        if sum(rest) == 0:
            if len(parts) >= 2:
                yield list(parts)
            return
        for nl in range(rest[0] + 1):
            for np_ in range(rest[1] + 1):
                for ns in range(rest[2] + 1):
                    part = (nl, np_, ns)
                    if sum(part) == 0 or sum(part) == total:
                        continue
                    yield from rec((rest[0] - nl, rest[1] - np_, rest[2] - ns), parts + [part])

    yield from rec(counts, [])


def trees(counts, row, family, caption, memo):
    """All slicing trees over the multiset `counts` (L, P, S) whose root is a row or a column."""
    key = (counts, row)
    if key in memo:
        return memo[key]
    found = {}
    for parts in ordered_splits(counts):
        options = []
        for p in parts:
            if sum(p) == 1:
                shape = SHAPES[p.index(1)]
                options.append([Leaf(shape, FAMILIES[family][shape], caption)])
            else:
                options.append(trees(p, not row, family, caption, memo))
        for children in itertools.product(*options):
            n = Node(row, list(children))
            found.setdefault(n.key(), n)
    memo[key] = list(found.values())
    return memo[key]


def layout_rects(tree, group):
    """The tree fitted into the group's content area, centred: [(shape, photo, caption)] in
    physical units (page height 1, width CAR, origin top-left)."""
    car, m = CARS[group], MARGIN[group]
    cw, ch = car - 2 * m, 1 - 2 * m
    h = ch
    w = tree.alpha * h + tree.beta
    if w > cw:
        w = cw
        h = (w - tree.beta) / tree.alpha
    out = []
    tree.place(m + (cw - w) / 2, m + (ch - h) / 2, w, h, out)
    return out


def score(rects, group):
    car, m = CARS[group], MARGIN[group]
    areas = [r[1][2] * r[1][3] for r in rects]
    if min(min(r[1][2], r[1][3]) for r in rects) <= 0:
        return -1
    fill = sum(areas) / ((car - 2 * m) * (1 - 2 * m))
    balance = min(areas) / max(areas)
    return fill * balance ** 0.35


def to_box(rect, group):
    car = CARS[group]
    x, y, w, h = rect
    return [rnd((x + w / 2) / car - 0.5), rnd(y + h / 2 - 0.5), rnd(w / car), rnd(h), 0]


def rnd(v):
    v = round(v, 4)
    return 0 if v == 0 else v


def reading_order(rects):
    # Top to bottom by centre, then left to right; slots whose centres are within a gap of
    # each other vertically count as one row.
    rects = sorted(rects, key=lambda r: r[1][1] + r[1][3] / 2)
    rows, out = [], []
    for r in rects:
        cy = r[1][1] + r[1][3] / 2
        if rows and abs(rows[-1][0] - cy) < GAP:
            rows[-1][1].append(r)
        else:
            rows.append((cy, [r]))
    for _, row in rows:
        out.extend(sorted(row, key=lambda r: r[1][0]))
    return out


def to_layout(lid, group, rects):
    slots = []
    for shape, photo, cap in reading_order(rects):
        slot = {"box": to_box(photo, group), "shape": shape, "caption": cap is not None}
        if cap is not None:
            slot["caption_box"] = to_box(cap, group)
        slots.append(slot)
    return {"id": lid, "group": group, "slots": slots}


def looks_alike(a, b):
    """Whether two designs put the same shapes in about the same places, in some mirror: two
    slicing trees can draw the same grid (rows of columns or columns of rows)."""

    def centres(rects, fx, fy):
        x0 = min(r[1][0] for r in rects)
        y0 = min(r[1][1] for r in rects)
        x1 = max(r[1][0] + r[1][2] for r in rects)
        y1 = max(r[1][1] + r[1][3] for r in rects)
        out = []
        for shape, (x, y, w, h), _ in rects:
            cx, cy = (x + w / 2 - x0) / (x1 - x0), (y + h / 2 - y0) / (y1 - y0)
            out.append((shape, 1 - cx if fx else cx, 1 - cy if fy else cy))
        return out

    mine = centres(a, False, False)
    for fx in (False, True):
        for fy in (False, True):
            theirs = centres(b, fx, fy)
            if all(any(s == t and abs(x - u) < 0.08 and abs(y - v) < 0.08 for t, u, v in theirs) for s, x, y in mine):
                return True
    return False


def ranked(counts, group, caption):
    """Distinct designs for a multiset, best first."""
    results = []
    for family in FAMILIES:
        memo = {}
        if sum(counts) == 1:
            shape = SHAPES[counts.index(1)]
            candidates = [Leaf(shape, FAMILIES[family][shape], caption)]
        else:
            candidates = trees(counts, True, family, caption, memo) + trees(counts, False, family, caption, memo)
        for t in candidates:
            rects = layout_rects(t, group)
            s = score(rects, group)
            if s > 0:
                results.append((s, family, t.key(), rects, t))
    results.sort(key=lambda r: (-r[0], r[1], r[2]))
    return results


def shape_string(rects):
    return "".join(r[0] for r in reading_order(rects))


def multisets(n):
    return [(nl, np_, n - nl - np_) for nl in range(n, -1, -1) for np_ in range(n - nl, -1, -1)]


def bleed_layouts(group):
    car = CARS[group]
    own = "S" if car == 1.0 else ("L" if car > 1 else "P")
    out = [{"id": f"{group}-1-{own.lower()}-bleed", "group": group, "slots": [{"box": [0, 0, 1, 1, 0], "shape": own, "caption": False}]}]
    # Split bleed pages: halves (or quarters) reaching the page edges, 0.02 of the page apart on
    # each split axis; round numbers so that the outer edges land exactly on the page edges.
    c, size = 0.255, 0.49
    if group == "square":
        # Four squares around the centre.
        slots = [{"box": [sx * c, sy * c, size, size, 0], "shape": "S", "caption": False} for sy in (-1, 1) for sx in (-1, 1)]
        out.append({"id": "square-4-ssss-bleed", "group": group, "slots": slots})
    elif group == "portrait":
        # Two landscapes (about 3:2 at the portrait CAR), top and bottom halves.
        slots = [{"box": [0, sy * c, 1, size, 0], "shape": "L", "caption": False} for sy in (-1, 1)]
        out.append({"id": "portrait-2-ll-bleed", "group": group, "slots": slots})
    else:
        # Two portraits (about 2:3 at the landscape CAR), left and right halves.
        slots = [{"box": [sx * c, 0, size, 1, 0], "shape": "P", "caption": False} for sx in (-1, 1)]
        out.append({"id": "landscape-2-pp-bleed", "group": group, "slots": slots})
    return out


def library(group):
    layouts = []
    for n in range(1, 7):
        for counts in multisets(n):
            best = ranked(counts, group, caption=False)
            first = best[0]
            name = shape_string(first[3]).lower()
            layouts.append(to_layout(f"{group}-{n}-{name}", group, first[3]))
            if 2 <= n <= 4:
                # A second arrangement, not merely the first in a mirror or in the other family.
                seen = first[4].keys_up_to_mirroring()
                for alt in best[1:]:
                    if alt[2] not in seen and not looks_alike(first[3], alt[3]):
                        layouts.append(to_layout(f"{group}-{n}-{shape_string(alt[3]).lower()}-b", group, alt[3]))
                        break
            if n <= 3:
                cap = ranked(counts, group, caption=True)[0]
                layouts.append(to_layout(f"{group}-{n}-{shape_string(cap[3]).lower()}-caption", group, cap[3]))
    layouts.extend(bleed_layouts(group))
    return layouts


def main():
    out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "layouts")
    os.makedirs(out_dir, exist_ok=True)
    for group in CARS:
        layouts = library(group)
        with open(os.path.join(out_dir, f"{group}.json"), "w") as f:
            f.write("[\n")
            f.write(",\n".join("  " + json.dumps(l, separators=(", ", ": ")) for l in layouts))
            f.write("\n]\n")
        print(f"{group}: {len(layouts)} layouts")


if __name__ == "__main__":
    main()
