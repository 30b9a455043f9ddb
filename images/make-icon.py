#!/usr/bin/env python3
"""Draws the app icon (64x64 RGBA) as images/icon.pam, with nothing but the standard library.

A blue rounded square (DADS blue-900), a white My Number-style card with a gold IC chip, and
a green check: "the card is checked". build.rs embeds icon.pam for the window icon.
Run: python3 images/make-icon.py
"""
import math
import os

SIZE = 64
SS = 4  # supersampling per axis


def rounded(x, y, x0, y0, x1, y1, r):
    """Whether (x, y) lies in the rounded rectangle."""
    cx = min(max(x, x0 + r), x1 - r)
    cy = min(max(y, y0 + r), y1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r and x0 <= x <= x1 and y0 <= y <= y1


def near_segment(x, y, ax, ay, bx, by, w):
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
    px, py = ax + t * dx, ay + t * dy
    return math.hypot(x - px, y - py) <= w / 2


def colour_at(x, y):
    """RGBA of the point (x, y) in icon pixels, painted back to front."""
    c = (0, 0, 0, 0)
    if rounded(x, y, 1, 1, 63, 63, 12):
        c = (0x00, 0x17, 0xC1, 255)
    if rounded(x, y, 9, 17, 55, 47, 4):
        c = (255, 255, 255, 255)
    if rounded(x, y, 14, 25, 25, 34, 2):
        c = (0xC9, 0xA2, 0x27, 255)
    if rounded(x, y, 30, 26, 50, 29, 1) or rounded(x, y, 30, 33, 44, 36, 1):
        c = (0x99, 0xA6, 0xE8, 255)
    if math.hypot(x - 48, y - 47) <= 12:
        c = (0x1D, 0x8B, 0x56, 255)
    if near_segment(x, y, 42, 47, 46.5, 51.5, 3.5) or near_segment(x, y, 46.5, 51.5, 54, 42.5, 3.5):
        c = (255, 255, 255, 255)
    return c


def main():
    out = bytearray()
    for py in range(SIZE):
        for px in range(SIZE):
            acc = [0, 0, 0, 0]
            for sy in range(SS):
                for sx in range(SS):
                    r, g, b, a = colour_at(px + (sx + 0.5) / SS, py + (sy + 0.5) / SS)
                    acc[0] += r * a
                    acc[1] += g * a
                    acc[2] += b * a
                    acc[3] += a
            n = SS * SS
            alpha = acc[3] / n
            if acc[3]:
                out += bytes(round(acc[i] / acc[3]) for i in range(3))
            else:
                out += bytes(3)
            out.append(round(alpha))
    header = f"P7\nWIDTH {SIZE}\nHEIGHT {SIZE}\nDEPTH 4\nMAXVAL 255\nTUPLTYPE RGB_ALPHA\nENDHDR\n"
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "icon.pam")
    with open(path, "wb") as f:
        f.write(header.encode("ascii") + out)


if __name__ == "__main__":
    main()
