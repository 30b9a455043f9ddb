#!/usr/bin/env bash
# Windows smoke test: the cross-built myna-kakunin.exe under wine 8: first its console output
# (.ci/console-host.c starts it the way cmd does), then in Xvfb against the
# reference center over HTTPS on loopback (tests/wine_smoke.rs says what it checks). Run by
# .ci/run after .ci/windows-build.sh; takes the .exe path as its argument (default: where
# windows-build.sh puts it).
#
# wine 8.0 (bookworm) lacks bcryptprimitives.dll, which Rust std >= 1.78 imports for
# ProcessPrng. A TEST-ONLY shim that forwards to RtlGenRandom is built here into a temporary
# folder and copied into the temporary wine prefix. It is never shipped: the .exe needs
# nothing beside it on Windows 10/11, which has the real DLL.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=x86_64-pc-windows-gnu
exe=$(realpath "${1:-${CARGO_TARGET_DIR:-target}/$TARGET/release/myna-kakunin.exe}")
[ -f "$exe" ] || { echo "windows-smoke: no $exe; run .ci/windows-build.sh first"; exit 1; }
SUDO=$(command -v sudo || true)
[ "$(id -u)" = 0 ] && SUDO=

# 64-bit wine only (no i386 multiarch), the X server and the tools the test drives it with.
need=()
command -v wine >/dev/null || need+=(wine wine64)
command -v Xvfb >/dev/null || need+=(xvfb xauth)
command -v xdotool >/dev/null || need+=(xdotool)
command -v import >/dev/null || need+=(imagemagick)
command -v x86_64-w64-mingw32-gcc >/dev/null || need+=(gcc-mingw-w64-x86-64)
if [ ${#need[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
wine --version

tmp=$(mktemp -d)
cleanup() {
  WINEPREFIX="$tmp/prefix" timeout 10 wineserver -k 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# The test-only shim.
cat >"$tmp/shim.c" <<'EOF'
/* TEST ONLY: ProcessPrng for wine 8, which has no bcryptprimitives.dll. Never shipped. */
#include <windows.h>
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length); /* RtlGenRandom */
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
  while (length) {
    ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
    if (!SystemFunction036(data, chunk)) return FALSE;
    data += chunk;
    length -= chunk;
  }
  return TRUE;
}
EOF
x86_64-w64-mingw32-gcc -O2 -shared -s -o "$tmp/bcryptprimitives.dll" "$tmp/shim.c" -ladvapi32
# The TEST-ONLY stand-in for cmd.exe (.ci/console-host.c).
x86_64-w64-mingw32-gcc -O2 -municode -s -o "$tmp/console-host.exe" .ci/console-host.c
x86_64-w64-mingw32-gcc -O2 -mwindows -s -o "$tmp/silent-gui.exe" .ci/silent-gui.c

# A fresh 64-bit prefix (about 8 s). The syswow64 rundll32 warning is harmless (no wine32).
export WINEPREFIX="$tmp/prefix" WINEARCH=win64 WINEDEBUG=-all
start=$SECONDS
timeout 120 xvfb-run -a wineboot -i >"$tmp/wineboot.log" 2>&1 \
  || { cat "$tmp/wineboot.log"; echo "windows-smoke: wineboot failed"; exit 1; }
timeout 30 wineserver -w || true
cp "$tmp/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/"
echo "wine prefix ready in $((SECONDS - start)) s"

# The diagnostics print to the console they were started from (the GUI .exe attaches to
# it), with README's exit codes: --version 0; readers 1 and its diagnostic (wine 8's
# winscard is a stub: no PC/SC service); a usage error 2; a configuration error 3.
start=$SECONDS
# Windows paths through wine's Z: drive (winepath would start wine outside the X server, and
# a console made later in that wine session has no screen buffer).
winpath() { printf 'Z:%s' "${1//\//\\}"; }
console() {
  local program=$1
  shift
  rm -f "$tmp/console.txt"
  timeout 90 xvfb-run -a wine "$tmp/console-host.exe" "$(winpath "$tmp/console.txt")" \
    "\"$(winpath "$program")\" $*" >/dev/null 2>&1 || true
  [ -f "$tmp/console.txt" ] || { echo "windows-smoke: console-host wrote nothing for: $*"; exit 1; }
  tr -d '\r' <"$tmp/console.txt"
}
# The control: a GUI program that does not attach prints nothing there.
out=$(console "$tmp/silent-gui.exe")
if grep -q 'silent-gui wrote this' <<<"$out"; then
  echo "windows-smoke: console-host shows a GUI program that never attached; it proves nothing"
  exit 1
fi
version=$(awk -F'"' '/^version = /{print $2; exit}' Cargo.toml)
out=$(console "$exe" --version)
grep -q -x "myna-kakunin $version" <<<"$out" && grep -q -x 'exit=0' <<<"$out" \
  || { echo "windows-smoke: --version in the console:"; echo "$out"; exit 1; }
out=$(console "$exe" readers)
grep -q '^myna-kakunin readers: ' <<<"$out" && grep -q -x 'exit=1' <<<"$out" \
  || { echo "windows-smoke: readers in the console:"; echo "$out"; exit 1; }
echo "console: $(grep '^myna-kakunin readers: ' <<<"$out")"
out=$(console "$exe" --bogus)
grep -q '^usage: myna-kakunin' <<<"$out" && grep -q -x 'exit=2' <<<"$out" \
  || { echo "windows-smoke: a usage error in the console:"; echo "$out"; exit 1; }
# The kiosk attaches only to say why it cannot start: here no center is configured, exit 3.
mkdir -p "$tmp/empty-data"
out=$(console "$exe" --data-dir "$(winpath "$tmp/empty-data")")
grep -q 'no center configured' <<<"$out" && grep -q -x 'exit=3' <<<"$out" \
  || { echo "windows-smoke: the kiosk without a center, in the console:"; echo "$out"; exit 1; }
echo "console checks (--version, readers, a usage error, a configuration error) took $((SECONDS - start)) s"

start=$SECONDS
MYNA_WINE_EXE="$exe" timeout 600 cargo test --locked --all-features --test wine_smoke -- \
  --ignored --nocapture
echo "wine smoke test took $((SECONDS - start)) s"
