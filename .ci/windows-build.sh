#!/usr/bin/env bash
# Cross-builds myna-kakunin.exe for 64-bit Windows (x86_64-pc-windows-gnu) on Debian bookworm,
# so Windows-only code never stops compiling. Run by .ci/run; safe to run again (idempotent).
#
# How (shared/research/windows-build.md): rustup ships no Windows std and no rust-src here, so
# Debian's rustc-web/cargo-web and their std sources (rust-web-src) are unpacked into a private
# folder with `apt-get download` + `dpkg-deb -x` (nothing of them is dpkg-installed, so the
# rustup toolchain stays what `rustc` means), std is built from source with -Zbuild-std, and
# mingw-w64 links. Then the .exe is checked: GUI subsystem, resources (manifest, icon, version),
# only Windows system DLLs imported, size at most 12 MB. When a code-signing certificate is
# given, the .exe is signed with Authenticode (osslsigncode) before the checks.
#
# Environment:
#   MYNA_RUST_WEB     the private toolchain folder (default ~/.cache/myna-kakunin/rust-web);
#                     delete it to fetch the newest rustc-web again
#   CARGO_TARGET_DIR  as for cargo (default: target/ in the workspace)
#   MYNA_SIGN_PFX     optional: a code-signing certificate with its private key (PKCS#12,
#                     .pfx); the .exe is signed with it (SHA-256, Authenticode)
#   MYNA_SIGN_PASSWORD   the .pfx's password (written to a private temporary file for
#                     osslsigncode, never onto its command line)
#   MYNA_SIGN_TIMESTAMP  optional: an RFC 3161 time-stamp server URL (the certificate
#                     vendor's); with it the signature stays valid after the certificate expires
# Prints the path of the .exe as its last line.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=x86_64-pc-windows-gnu
RW_ROOT=${MYNA_RUST_WEB:-$HOME/.cache/myna-kakunin/rust-web}
MAX_BYTES=$((12 * 1000 * 1000))
SUDO=$(command -v sudo || true)
[ "$(id -u)" = 0 ] && SUDO=
apt_updated=

apt_update() {
  if [ -z "$apt_updated" ]; then
    $SUDO apt-get update -qq
    apt_updated=1
  fi
}

# 1. mingw-w64: the linker (gcc), windres for the resources, objdump for the checks.
if ! command -v x86_64-w64-mingw32-gcc >/dev/null || ! command -v x86_64-w64-mingw32-windres >/dev/null; then
  apt_update
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 >/dev/null
fi

# 2. The private Rust toolchain. `.complete` is written last, so a half-unpacked folder
# (an interrupted run) is thrown away and fetched again.
if [ ! -f "$RW_ROOT/.complete" ]; then
  apt_update
  rm -rf "$RW_ROOT"
  mkdir -p "$RW_ROOT"
  debs=$(mktemp -d)
  trap 'rm -rf "$debs"' EXIT
  libstd=$(apt-cache depends libstd-rust-web-dev | awk '/Depends: libstd-rust-web-[0-9]/{print $2; exit}')
  [ -n "$libstd" ] || { echo "windows-build: no libstd-rust-web in the apt lists"; exit 1; }
  llvm=$(apt-cache depends "$libstd" | awk '/Depends: libllvm[0-9]/{print $2; exit}')
  [ -n "$llvm" ] || { echo "windows-build: $libstd names no libllvm"; exit 1; }
  # The last five are cargo-web's shared libraries. As root, apt-get download fetches as the
  # `_apt` user, which must be able to write into the folder.
  if [ "$(id -u)" = 0 ] && id _apt >/dev/null 2>&1; then chown _apt "$debs"; fi
  (cd "$debs" && apt-get download -qq rustc-web cargo-web "$libstd" libstd-rust-web-dev \
    rust-web-src "$llvm" libgit2-1.5 libhttp-parser2.9 libmbedtls14 libmbedx509-1 libmbedcrypto7)
  for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$RW_ROOT"; done
  ls "$debs" >"$RW_ROOT/packages.txt"
  rm -rf "$debs"
  # -Zbuild-std needs only library/ of the sources (saves about 365 MB).
  rm -rf "$RW_ROOT"/usr/src/rustc-*/src "$RW_ROOT"/usr/src/rustc-*/compiler
  touch "$RW_ROOT/.complete"
fi
RW=$RW_ROOT/usr
export PATH="$RW/bin:$PATH"
export LD_LIBRARY_PATH="$RW/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# rustup's proxies read these; the private toolchain must not be redirected back to rustup.
unset RUSTC RUSTUP_TOOLCHAIN RUSTC_WRAPPER
echo "toolchain: $(rustc --version) / $(cargo --version) in $RW_ROOT"

# 3. Build. RUSTC_BOOTSTRAP unlocks -Zbuild-std on this stable compiler; RUSTFLAGS reach only
# the target's crates (not build scripts), and dependencies are capped at warnings anyway.
start=$SECONDS
RUSTC_BOOTSTRAP=1 RUSTFLAGS="-D warnings" \
  cargo build --locked --release -Zbuild-std=std,panic_abort --target "$TARGET"
echo "windows build took $((SECONDS - start)) s"
exe=${CARGO_TARGET_DIR:-target}/$TARGET/release/myna-kakunin.exe

# 4. Authenticode signature, when a certificate is given.
if [ -n "${MYNA_SIGN_PFX:-}" ]; then
  if ! command -v osslsigncode >/dev/null; then
    apt_update
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends osslsigncode >/dev/null
  fi
  sign_tmp=$(mktemp -d)
  chmod 700 "$sign_tmp"
  printf '%s' "${MYNA_SIGN_PASSWORD:-}" >"$sign_tmp/pass"
  timestamp=()
  [ -n "${MYNA_SIGN_TIMESTAMP:-}" ] && timestamp=(-ts "$MYNA_SIGN_TIMESTAMP")
  start=$SECONDS
  osslsigncode sign -pkcs12 "$MYNA_SIGN_PFX" -readpass "$sign_tmp/pass" -h sha256 \
    -n "myna-kakunin" "${timestamp[@]}" -in "$exe" -out "$sign_tmp/signed.exe" >/dev/null \
    || { rm -rf "$sign_tmp"; echo "windows-build: signing failed"; exit 1; }
  mv "$sign_tmp/signed.exe" "$exe"
  rm -rf "$sign_tmp"
  echo "signed with $(basename "$MYNA_SIGN_PFX") ($((SECONDS - start)) s)"
fi

# 5. Checks.
dump=$(x86_64-w64-mingw32-objdump -p "$exe")
size=$(stat -c %s "$exe")
echo "exe: $exe"
echo "size: $size bytes (limit $MAX_BYTES)"
[ "$size" -le "$MAX_BYTES" ] || { echo "windows-build: the .exe is larger than 12 MB"; exit 1; }

grep -q -E '^Subsystem[[:space:]]+0+2[[:space:]]' <<<"$dump" \
  || { echo "windows-build: not a GUI-subsystem exe (a console window would open)"; exit 1; }

imports=$(awk '/DLL Name:/{print $3}' <<<"$dump" | sort -fu)
echo "DLL imports:"
sed 's/^/  /' <<<"$imports"
# Windows system DLLs that ship with every Windows 10/11. msvcrt.dll is the system's own C
# runtime (mingw links it by design); bcryptprimitives (ProcessPrng) is Rust std's RNG;
# uiautomationcore and combase are UI Automation, which Narrator reads (AccessKit, issue 12).
allowed=" advapi32.dll bcrypt.dll bcryptprimitives.dll combase.dll comctl32.dll crypt32.dll dwmapi.dll
  gdi32.dll imm32.dll kernel32.dll msvcrt.dll ntdll.dll ole32.dll oleaut32.dll shell32.dll
  shlwapi.dll uiautomationcore.dll user32.dll userenv.dll uxtheme.dll winscard.dll ws2_32.dll
  api-ms-win-core-synch-l1-2-0.dll "
bad=0
while read -r dll; do
  lower=$(tr '[:upper:]' '[:lower:]' <<<"$dll")
  case "$allowed" in
    *" $lower"[[:space:]]*) ;;
    *) echo "windows-build: imports $dll, which is not a Windows system DLL on the allow-list"; bad=1 ;;
  esac
done <<<"$imports"
[ "$bad" = 0 ] || exit 1
grep -qi '^winscard.dll$' <<<"$imports" || { echo "windows-build: PC/SC does not go through WinSCard"; exit 1; }

# Resources (build.rs): RT_ICON 3, RT_GROUP_ICON 14, RT_VERSION 16, RT_MANIFEST 24, as
# entries of the top-level type table.
for type in 3 e 10 18; do
  grep -q -E "^[0-9a-f]+ {3}Entry: ID: 0x0*$type," <<<"$dump" \
    || { echo "windows-build: resource type 0x$type (icon, version or manifest) is missing"; exit 1; }
done
for needle in "dpiAwareness" "PerMonitorV2" "asInvoker"; do
  grep -q -a -F "$needle" "$exe" || { echo "windows-build: the manifest lacks $needle"; exit 1; }
done
# VERSIONINFO strings are UTF-16LE.
if ! LC_ALL=C grep -q -a -P 'F\x00i\x00l\x00e\x00V\x00e\x00r\x00s\x00i\x00o\x00n\x00' "$exe"; then
  echo "windows-build: the .exe has no version information"; exit 1
fi
echo "resources: manifest (PerMonitorV2, asInvoker), icon, version information"
echo "$exe"
