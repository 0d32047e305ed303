#!/usr/bin/python3
"""png_check.py SHOT.png: is a screenshot of a viewer showing a drawn
profile, not a blank page, a welcome page or an error?

Decodes the PNG (8-bit RGB or RGBA, non-interlaced, as Chromium writes
them) with the standard library only, looks at the part below the
viewer's toolbar (y >= 15% of the height) and requires:
  - at least 5% of its pixels differ from its most common color, and
  - at least 4 distinct hues (of 12) among its saturated pixels, each on
    at least 0.2% of them: a flame chart's frames are many colors; a
    blank page has none and a welcome or error page one or two.
Prints the figures; exit 0 when it looks drawn, 1 when not, 2 on a bad
file."""
import colorsys
import struct
import sys
import zlib
from collections import Counter


def read_png(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    pos, idat, hdr = 8, [], None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    w, h, depth, ctype, _, _, interlace = hdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError("unsupported PNG (depth %d, color type %d)" % (depth, ctype))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        ft = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ft == 1:
                line[i] = (line[i] + a) & 255
            elif ft == 2:
                line[i] = (line[i] + b) & 255
            elif ft == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ft == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return w, h, bpp, rows


def main():
    try:
        w, h, bpp, rows = read_png(sys.argv[1])
    except (OSError, ValueError, zlib.error, struct.error, TypeError) as e:
        print("png_check: %s: %s" % (sys.argv[1], e))
        return 2
    colors = Counter()
    for y in range(h * 15 // 100, h):
        line = rows[y]
        for x in range(0, w * bpp, bpp):
            colors[bytes(line[x:x + 3])] += 1
    total = sum(colors.values())
    background, nbg = colors.most_common(1)[0]
    other = (total - nbg) / total
    hues = Counter()
    saturated = 0
    for c, n in colors.items():
        hh, ll, ss = colorsys.rgb_to_hls(c[0] / 255, c[1] / 255, c[2] / 255)
        if ss > 0.25 and 0.15 < ll < 0.95:
            hues[int(hh * 12) % 12] += n
            saturated += n
    distinct = sum(1 for n in hues.values() if saturated and n >= 0.002 * saturated)
    print("png_check: %dx%d, %.1f%% not background, %d hues" % (w, h, 100 * other, distinct))
    return 0 if other >= 0.05 and distinct >= 4 else 1


sys.exit(main())
