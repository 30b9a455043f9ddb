#!/bin/sh
# Makes the screenshots README.md shows: runs the demo build's `screenshots` subcommand
# (every screen and result variant, on the fixed demo date) into a temporary folder, then
# recompresses a selection into images/screenshots/. Our PNG writer stores pixels
# uncompressed (about 3 MB a screen); ImageMagick's zlib level 9 brings each under 200 KB.
#
# Needs cargo and ImageMagick (`convert`). Run from anywhere: sh images/make-screenshots.sh
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/images/screenshots"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# The order README.md shows them in.
selection="
020-passcode
024-auth-select-visual
040-taro-result
043-expiring-result
049-invalid-welfare-result
100-pin-last-try
003-register
070-security
"

# The app logs every screen change; keep the log for when something fails.
if ! cargo run --quiet --features demo --manifest-path "$root/Cargo.toml" -- \
    screenshots "$tmp/all" >"$tmp/written" 2>"$tmp/log"; then
    cat "$tmp/log" >&2
    exit 1
fi

mkdir -p "$out"
rm -f "$out"/*.png
for name in $selection; do
    # -strip drops ImageMagick's timestamps, so the same screen gives the same bytes.
    convert "$tmp/all/$name.png" -strip -define png:compression-level=9 "$out/$name.png"
    size=$(wc -c <"$out/$name.png")
    if [ "$size" -ge 200000 ]; then
        echo "$name.png is $size bytes, over 200 KB" >&2
        exit 1
    fi
    echo "images/screenshots/$name.png ($size bytes)"
done
