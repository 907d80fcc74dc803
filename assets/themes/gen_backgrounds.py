#!/usr/bin/env python3
"""Writes the theme background artwork (assets/themes/<theme>/<name>.svg).

Each background is drawn on a 1000 x 1000 viewBox and stretched to the page it covers
(preserveAspectRatio="none"), so it fits every aspect-ratio group. The designs are
deliberately asymmetric (a corner, an edge, a side), so mirroring them on facing pages and
into the bleed (SPEC §11) shows. Run it from anywhere; it rewrites every file.
"""
import math
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))


def svg(body, bg):
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1000 1000" width="1000" height="1000" '
        'preserveAspectRatio="none">\n'
        f'  <rect width="1000" height="1000" fill="{bg}"/>\n{body}</svg>\n'
    )


def waves_corner():
    body = ''
    for i, c in enumerate(['#7cc6de', '#a9dcea', '#d3eef5']):
        y = 760 + i * 70
        body += (f'  <path d="M0 {y} C 180 {y-60} 320 {y+50} 520 {y-10} S 850 {y-80} 1000 {y+10} '
                 f'L 1000 1000 L 0 1000 Z" fill="{c}" opacity="0.85"/>\n')
    body += '  <circle cx="120" cy="130" r="70" fill="#f6c667" opacity="0.9"/>\n'
    return svg(body, '#fdf6e3')


def map_edge():
    rnd = random.Random(7)
    body = '  <rect x="0" y="0" width="90" height="1000" fill="#d8cdb4"/>\n'
    for i in range(12):
        y = i * 85 + rnd.randint(0, 30)
        body += f'  <path d="M0 {y} Q 60 {y+20} 90 {y+5}" stroke="#a48f68" stroke-width="3" fill="none"/>\n'
    body += '  <path d="M140 80 C 300 200 420 90 560 220 S 820 320 900 180" stroke="#b9a47e" stroke-width="4" stroke-dasharray="14 10" fill="none"/>\n'
    return svg(body, '#f3efe6')


def confetti_side():
    rnd = random.Random(11)
    colors = ['#f28ab2', '#f7c948', '#6cc3d5', '#9b8df2', '#f39c6b']
    body = ''
    for _ in range(90):
        x = rnd.random() ** 2 * 330
        y = rnd.random() * 1000
        c = rnd.choice(colors)
        if rnd.random() < 0.5:
            body += f'  <circle cx="{x:.1f}" cy="{y:.1f}" r="{rnd.uniform(5, 11):.1f}" fill="{c}"/>\n'
        else:
            a = rnd.uniform(0, 180)
            body += f'  <rect x="{x:.1f}" y="{y:.1f}" width="22" height="8" fill="{c}" transform="rotate({a:.0f} {x:.1f} {y:.1f})"/>\n'
    return svg(body, '#fff8f0')


def linen():
    body = ''
    for i in range(0, 1000, 12):
        body += f'  <line x1="{i}" y1="0" x2="{i}" y2="1000" stroke="#ece6dc" stroke-width="2"/>\n'
        body += f'  <line x1="0" y1="{i}" x2="1000" y2="{i}" stroke="#f1ece4" stroke-width="2"/>\n'
    body += '  <path d="M0 0 L 260 0 Q 120 120 0 260 Z" fill="#e9dfd0" opacity="0.8"/>\n'
    return svg(body, '#fbf9f6')


def soft_dots():
    body = ''
    for row in range(14):
        for col in range(14):
            x = col * 75 + (37 if row % 2 else 0)
            y = row * 75
            r = 6 + 10 * (1 - (x / 1000))
            body += f'  <circle cx="{x}" cy="{y}" r="{r:.1f}" fill="#c9dcef" opacity="0.7"/>\n'
    return svg(body, '#f6f9fc')


def ribbon_band():
    body = ('  <path d="M0 120 L 1000 40 L 1000 150 L 0 230 Z" fill="#274b7a"/>\n'
            '  <path d="M0 238 L 1000 158 L 1000 176 L 0 256 Z" fill="#c9a646"/>\n')
    return svg(body, '#f7f7f4')


def pine_corner():
    body = ''
    for k in range(7):
        cx = 880 - k * 28
        cy = 60 + k * 110
        s = 150 - k * 12
        body += (f'  <path d="M{cx} {cy} L {cx + s/2:.0f} {cy + s} L {cx - s/2:.0f} {cy + s} Z" '
                 f'fill="#2f6b4f" opacity="{0.9 - k*0.08:.2f}"/>\n')
    body += '  <circle cx="840" cy="420" r="14" fill="#c0392b"/>\n  <circle cx="905" cy="300" r="11" fill="#c0392b"/>\n'
    return svg(body, '#fbf7f2')


def diagonal_stripes():
    body = ''
    for i in range(-1000, 1000, 90):
        body += f'  <path d="M{i} 1000 L {i+400} 0 L {i+440} 0 L {i+40} 1000 Z" fill="#dfe5ec"/>\n'
    body += '  <path d="M0 820 L 1000 620 L 1000 700 L 0 900 Z" fill="#e0533d"/>\n'
    return svg(body, '#f4f6f8')


def paw_trail():
    body = ''
    for k in range(8):
        x = 120 + k * 110
        y = 880 - k * 105 + (30 if k % 2 else -30)
        a = -40
        body += f'  <g transform="translate({x} {y}) rotate({a})" fill="#c8a27a" opacity="0.8">\n'
        body += '    <ellipse cx="0" cy="18" rx="22" ry="18"/>\n'
        for dx, dy in [(-22, -12), (-8, -26), (8, -26), (22, -12)]:
            body += f'    <circle cx="{dx}" cy="{dy}" r="8"/>\n'
        body += '  </g>\n'
    return svg(body, '#fffaf2')


def leaves_edge():
    body = ''
    for k in range(10):
        y = k * 100 + 40
        a = 30 if k % 2 else -30
        body += (f'  <path d="M0 {y} q 90 -45 170 0 q -80 45 -170 0 Z" fill="#7fa36b" opacity="0.75" '
                 f'transform="rotate({a} 0 {y})"/>\n')
    return svg(body, '#f4f5ef')


ART = {
    'vacation/waves-corner.svg': waves_corner,
    'travel/map-edge.svg': map_edge,
    'birthday/confetti-side.svg': confetti_side,
    'wedding/linen.svg': linen,
    'baby/soft-dots.svg': soft_dots,
    'graduation/ribbon-band.svg': ribbon_band,
    'holiday/pine-corner.svg': pine_corner,
    'sports/diagonal-stripes.svg': diagonal_stripes,
    'pets/paw-trail.svg': paw_trail,
    'nature/leaves-edge.svg': leaves_edge,
}

if __name__ == '__main__':
    for name, draw in ART.items():
        path = os.path.join(HERE, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write(draw())
        print(path)
