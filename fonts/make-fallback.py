#!/usr/bin/env python3
"""Builds the character-set lists and the fallback font of myna-kakunin.

Patients' names may use any character of JIS X 0208 and JIS X 0213. The UI face, BIZ UDPGothic
(fonts/BIZUDPGothic-Regular.ttf), lacks some of them, so the UI falls back to a small subset
of Noto Sans CJK JP Regular that holds exactly the characters BIZ UDPGothic lacks.

This script, run from anywhere:

1. enumerates JIS X 0208 and JIS X 0213:2004 (planes 1 and 2) as Unicode code points by
   decoding every possible 2-byte (and 0x8F-prefixed 3-byte) sequence with Python's own codecs,
   two codecs per standard that must agree, and writes fonts/jis-x-0208.txt and
   fonts/jis-x-0213.txt (one code point per line, hex, with the JIS positions as a comment);
2. reads the cmap of BIZ UDPGothic and lists what it lacks of the union of both sets plus a
   few extra characters (EXTRA below, e.g. 𠮷 U+20BB7, which is in neither standard);
3. subsets Noto Sans CJK JP Regular (Debian package fonts-noto-cjk, font number 0 of
   NotoSansCJK-Regular.ttc) to exactly those code points and writes fonts/fallback-jis.otf;
4. checks that every code point of both sets is in one of the two fonts, and exits with an
   error (listing them) if not.

Needs: Python 3.8+, fonttools (`pip install fonttools`), fonts-noto-cjk (`apt-get install
fonts-noto-cjk`). The output is deterministic: the lists depend on Python's codecs only
(their headers name the Python version), the font on the fonttools and Noto versions, which
fonts/README.md names.

Usage: python3 fonts/make-fallback.py [--noto PATH] [--check]
  --check  compare with the committed files instead of writing them (exit 1 on a difference).
"""

import argparse
import io
import os
import sys
import unicodedata

import fontTools
from fontTools import subset
from fontTools.ttLib import TTFont

HERE = os.path.dirname(os.path.abspath(__file__))
PRIMARY = os.path.join(HERE, "BIZUDPGothic-Regular.ttf")
NOTO_DEFAULT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
NOTO_JP_INDEX = 0  # in the Debian collection: 0 JP, 1 KR, 2 SC, 3 TC, 4 HK, 5-9 Mono
OUT_0208 = os.path.join(HERE, "jis-x-0208.txt")
OUT_0213 = os.path.join(HERE, "jis-x-0213.txt")
OUT_FONT = os.path.join(HERE, "fallback-jis.otf")

# Characters outside both standards that patients' names are known to use and that the
# fallback must carry too. Keep in step with the test in src/ui/text.rs.
EXTRA = {
    0x20BB7: "𠮷 (tsuchi-yoshi, 吉 with a longer lower stroke; in surnames such as 𠮷田)",
}

# Rows of JIS X 0213 plane 2. The other rows of plane 2 are left free for JIS X 0212, which
# Python's euc_jis_2004 codec also decodes behind the 0x8F prefix: they are not JIS X 0213.
PLANE2_ROWS = (1, 3, 4, 5, 8, 12, 13, 14, 15) + tuple(range(78, 95))


def decode(raw, codec):
    """The code points `raw` decodes to, or None if the codec rejects it."""
    try:
        return tuple(ord(c) for c in raw.decode(codec))
    except UnicodeDecodeError:
        return None


def sjis_bytes(plane, row, cell):
    """Shift_JIS(-2004) bytes of a JIS position (plane 2 only in Shift_JIS-2004)."""
    if plane == 1:
        lead = (row + 0x101) // 2 if row <= 62 else (row + 0x181) // 2
    else:
        # JIS X 0213:2004 Annex 1: plane 2 rows 1, 3-5, 8, 12-15 and 78-94.
        if row in (1, 3, 4, 5, 8, 12, 13, 14, 15):
            lead = (row + 0x1DF) // 2 - (row // 8) * 3
        else:
            lead = (row + 0x19B) // 2
    if row % 2 == 1:
        trail = cell + 0x3F if cell <= 63 else cell + 0x40
    else:
        trail = cell + 0x9E
    return bytes([lead, trail])


def enumerate_set(name, euc_codec, sjis_codec, planes):
    """Maps each assigned JIS position (plane, row, cell) to (EUC decoding, Shift_JIS decoding).

    Every position is decoded with the EUC and the Shift_JIS codec of the standard. Both must
    accept the same positions. Where they map a position to different code points (a few
    symbols: JIS X 0213 1-01-32 REVERSE SOLIDUS is U+FF3C in euc_jis_2004 and U+005C in
    shift_jis_2004), the position
    counts with both, since text from either source must render.
    """
    positions = {}
    for plane in planes:
        rows = range(1, 95) if plane == 1 else PLANE2_ROWS
        for row in rows:
            for cell in range(1, 95):
                euc = bytes([row + 0xA0, cell + 0xA0])
                if plane == 2:
                    euc = b"\x8f" + euc
                a = decode(euc, euc_codec)
                b = decode(sjis_bytes(plane, row, cell), sjis_codec)
                if (a is None) != (b is None):
                    sys.exit(f"{name}: {euc_codec} and {sjis_codec} disagree on whether "
                             f"{plane}-{row}-{cell} is assigned: {a} / {b}")
                if a is not None:
                    positions[(plane, row, cell)] = (a, b)
    return positions


def code_point_index(positions):
    """Code point -> the positions that map to it (a combining sequence yields two)."""
    index = {}
    for pos, (a, b) in positions.items():
        for cp in dict.fromkeys(a + b):
            index.setdefault(cp, []).append(pos)
    return index


def describe(cp):
    try:
        name = unicodedata.name(chr(cp))
    except ValueError:
        name = "(no name in Python's Unicode " + unicodedata.unidata_version + ")"
    return f"U+{cp:04X} {chr(cp)} {name}"


def pos_str(pos):
    return f"{pos[0]}-{pos[1]:02d}-{pos[2]:02d}"


def cps_str(cps):
    return " + ".join(f"U+{c:04X}" for c in cps)


def render_list(title, codecs, positions, index):
    """The committed list: header comments, then one code point per line."""
    out = io.StringIO()
    out.write(f"# {title}: every code point of every assigned position, one per line (hex).\n")
    out.write("# Generated by fonts/make-fallback.py; do not edit.\n")
    out.write(f"# Source: Python's codecs {codecs[0]} and {codecs[1]} (Python "
              f"{sys.version.split()[0]}); every position is decoded by both.\n")
    out.write(f"# {len(positions)} assigned positions, {len(index)} distinct code points.\n")
    combining = sorted(p for p, (a, _) in positions.items() if len(a) > 1)
    if combining:
        out.write(f"# {len(combining)} positions are combining sequences of two code points; "
                  "each code point is listed:\n")
        for p in combining:
            out.write(f"#   {pos_str(p)} = {cps_str(positions[p][0])}\n")
    differences = sorted(p for p, (a, b) in positions.items() if a != b)
    if differences:
        out.write(f"# {len(differences)} positions decode differently in the two codecs; "
                  "both code points are listed:\n")
        for p in differences:
            a, b = positions[p]
            out.write(f"#   {pos_str(p)}: {codecs[0]} {cps_str(a)}, {codecs[1]} {cps_str(b)}\n")
    out.write("# Columns: code point, then the JIS positions (plane-row-cell) that map to it.\n")
    for cp in sorted(index):
        out.write(f"{cp:04X} # " + " ".join(pos_str(p) for p in sorted(index[cp])) + "\n")
    return out.getvalue()


def write_or_check(path, data, check, problems):
    mode = "rb"
    if check:
        try:
            with open(path, mode) as f:
                if f.read() != data:
                    problems.append(f"{os.path.relpath(path, HERE)} differs from what the script makes")
        except FileNotFoundError:
            problems.append(f"{os.path.relpath(path, HERE)} is missing")
        return
    with open(path, "wb") as f:
        f.write(data)


def windows_31j():
    """Code points of Microsoft's Shift_JIS (cp932), outside its private-use (gaiji) area.

    Not a set the test enumerates: names that pass through Windows systems may carry its NEC
    and IBM extensions (髙, 﨑, ...) or its other mappings of a few JIS symbols (U+FF5E where
    JIS has U+301C, ...), so the fallback covers them too (today BIZ UDPGothic has them all).
    """
    out = set()
    for lead in list(range(0x81, 0xA0)) + list(range(0xE0, 0xFD)):
        for trail in list(range(0x40, 0x7F)) + list(range(0x80, 0xFD)):
            cps = decode(bytes([lead, trail]), "cp932")
            if cps is not None:
                out.update(cp for cp in cps if not 0xE000 <= cp <= 0xF8FF)
    return out


def fullwidth_forms():
    """Code point -> its fullwidth compatibility form (U+FF5F is <wide> U+2985, and so on)."""
    forms = {}
    for cp in range(0xFF00, 0xFFF0):
        decomposition = unicodedata.decomposition(chr(cp)).split()
        if len(decomposition) == 2 and decomposition[0] == "<wide>":
            forms[int(decomposition[1], 16)] = cp
    return forms


def build_subset(noto_path, code_points, aliases):
    """Noto Sans CJK JP Regular cut to `code_points`, as OpenType/CFF bytes.

    `aliases` maps further code points to a code point whose Noto glyph they take (and which
    itself stays out of the cmap unless it is in `code_points`).
    """
    options = subset.Options()
    options.font_number = NOTO_JP_INDEX
    # Only what fontdue reads: outlines, horizontal metrics, cmap. No layout tables (fontdue
    # does no shaping), no vertical metrics, no hinting. The name table stays whole: it holds
    # the copyright and licence notice, which the OFL requires to travel with the font.
    options.layout_features = []
    options.drop_tables += ["BASE", "GDEF", "GPOS", "GSUB", "VORG", "vhea", "vmtx", "DSIG"]
    options.hinting = False
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.recalc_timestamp = False  # the same input gives the same bytes
    font = TTFont(noto_path, fontNumber=NOTO_JP_INDEX, recalcTimestamp=False)
    source_cmap = font.getBestCmap()
    glyphs = {cp: source_cmap[cp] for cp in code_points}
    glyphs.update({cp: source_cmap[target] for cp, target in aliases.items()})
    subsetter = subset.Subsetter(options=options)
    subsetter.populate(glyphs=sorted(set(glyphs.values())))
    subsetter.subset(font)
    # Exactly the wanted code points: the subsetter would also map every other code point
    # that shares a kept glyph (U+FF5F, which the primary face has, for example).
    for table in font["cmap"].tables:
        if table.isUnicode():
            table.cmap = {cp: g for cp, g in glyphs.items() if cp <= 0xFFFF or table.format == 12}
    buf = io.BytesIO()
    font.save(buf)
    return buf.getvalue()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--noto", default=NOTO_DEFAULT, help="NotoSansCJK-Regular.ttc")
    parser.add_argument("--check", action="store_true",
                        help="compare with the committed files instead of writing them")
    args = parser.parse_args()

    p0208 = enumerate_set("JIS X 0208", "euc_jp", "shift_jis", planes=(1,))
    p0213 = enumerate_set("JIS X 0213", "euc_jis_2004", "shift_jis_2004", planes=(1, 2))
    i0208 = code_point_index(p0208)
    i0213 = code_point_index(p0213)

    problems = []
    write_or_check(OUT_0208, render_list("JIS X 0208", ("euc_jp", "shift_jis"), p0208, i0208).encode("utf-8"), args.check, problems)
    write_or_check(OUT_0213, render_list("JIS X 0213:2004 planes 1 and 2",
                                         ("euc_jis_2004", "shift_jis_2004"), p0213, i0213).encode("utf-8"), args.check, problems)

    primary = TTFont(PRIMARY, lazy=True)
    primary_cmap = primary.getBestCmap()
    noto = TTFont(args.noto, fontNumber=NOTO_JP_INDEX, lazy=True)
    noto_cmap = noto.getBestCmap()

    cp932 = windows_31j()
    wanted = set(i0208) | set(i0213) | set(EXTRA) | cp932
    missing = sorted(cp for cp in wanted if cp not in primary_cmap)
    in_noto = [cp for cp in missing if cp in noto_cmap]
    # A code point in neither font whose fullwidth form (its <wide> compatibility character)
    # Noto has takes that glyph: the fullwidth form is the same JIS character, drawn the way
    # JIS draws it. (JIS X 0213 1-02-54/55 are U+2985/U+2986 in Python's codecs and
    # U+FF5F/U+FF60 in other mapping tables; both fonts have only the latter.)
    wide = fullwidth_forms()
    aliases = {cp: wide[cp] for cp in missing
               if cp not in noto_cmap and wide.get(cp) in noto_cmap}
    in_neither = [cp for cp in missing if cp not in noto_cmap and cp not in aliases]

    font = build_subset(args.noto, in_noto, aliases)
    write_or_check(OUT_FONT, font, args.check, problems)
    sub = TTFont(io.BytesIO(font))
    sub_cmap = sub.getBestCmap()
    if set(sub_cmap) != set(in_noto) | set(aliases):
        sys.exit("the subset's cmap is not exactly the requested code points")

    print(f"fonttools {fontTools.version}, Python {sys.version.split()[0]}")
    print(f"JIS X 0208: {len(p0208)} positions, {len(i0208)} code points "
          f"({sum(1 for a, b in p0208.values() if a != b)} positions decode differently "
          "in euc_jp and shift_jis)")
    print(f"JIS X 0213: {len(p0213)} positions "
          f"({sum(1 for p in p0213 if p[0] == 1)} plane 1, {sum(1 for p in p0213 if p[0] == 2)} plane 2), "
          f"{len(i0213)} code points ({sum(1 for a, b in p0213.values() if a != b)} positions "
          "decode differently in euc_jis_2004 and shift_jis_2004)")
    print(f"JIS X 0208 within JIS X 0213: {len(set(i0208) - set(i0213))} code points of 0208 not in 0213")
    print(f"cp932 outside its private-use area: {len(cp932)} code points, "
          f"{len(cp932 - set(i0208) - set(i0213))} of them in neither JIS set")
    print(f"union with cp932 and {len(EXTRA)} extra: {len(wanted)} code points")
    print(f"BIZ UDPGothic has {len(wanted) - len(missing)}, lacks {len(missing)} "
          f"({sum(1 for c in missing if c in i0208)} of JIS X 0208, "
          f"{sum(1 for c in missing if c in i0213)} of JIS X 0213, "
          f"{sum(1 for c in missing if c in cp932)} of cp932, "
          f"{sum(1 for c in missing if c in EXTRA)} extra)")
    print(f"fallback: {len(sub_cmap)} code points, {len(sub.getGlyphOrder())} glyphs "
          f"(with .notdef), {len(font)} bytes -> {os.path.relpath(OUT_FONT)}")
    for cp in in_noto:
        print(f"  {describe(cp)}: Noto's glyph")
    for cp, target in aliases.items():
        print(f"  {describe(cp)}: Noto's glyph of its fullwidth form U+{target:04X}")
    if in_neither:
        print(f"in neither font: {len(in_neither)}")
        for cp in in_neither:
            print("  " + describe(cp))
        problems.append("some code points are in neither font")
    else:
        print("in neither font: none")
    if problems:
        for p in problems:
            print("error: " + p, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
