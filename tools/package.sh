#!/usr/bin/env bash
# Desktop packages with the fyne tool.
#
#   tools/package.sh            (make package)  dist/: the Linux .tar.xz and the Windows .exe
#   tools/package.sh linux      only the Linux archive
#   tools/package.sh windows    only the Windows .exe (mingw-w64 cross build, ~6 min cold)
#   tools/package.sh install    (make install)  the Linux build into $PREFIX (default ~/.local)
#
# Missing tools are installed first: Debian packages through apt-get (sudo when
# not root) and the fyne CLI into ./bin/tools, so nothing global is assumed.
# The fyne tool writes files into the source folder while it builds (a metadata
# .go file, a Windows .syso that would break everyone's Linux link, a bumped
# build number), so it works on a private copy of the tree in a temp folder,
# never in place. Its release builds use -trimpath, so the copy's location
# does not defeat the Go build cache.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export GOTOOLCHAIN=local
GO=${GO:-go}
FYNE_VERSION=v1.7.4
tools=$root/bin/tools
fyne=$tools/fyne
dist=$root/dist
work=$(mktemp -d "${TMPDIR:-/tmp}/burrow-package.XXXXXX")
trap 'rm -rf "$work"' EXIT
appid=app.burrow
version=$(sed -n 's/^ *Version *= *"\(.*\)".*/\1/p' FyneApp.toml)
build=$(sed -n 's/^ *Build *= *\([0-9]*\).*/\1/p' FyneApp.toml)
linux_archive=$dist/burrow-$version-linux-amd64.tar.xz
windows_exe=$dist/burrow-$version-windows-amd64.exe
sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo

say() { echo "package: $*"; }

# need_debs installs the Debian packages that are missing, and says which.
need_debs() {
  local missing="" p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
  done
  [ -z "$missing" ] && return 0
  say "installing Debian packages:$missing"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing
}

need_fyne() {
  local have=""
  [ -x "$fyne" ] && have=$("$fyne" version 2>/dev/null || true) # no pipe: grep -q would SIGPIPE it under pipefail
  case "$have" in *"cli version: $FYNE_VERSION"*) return 0 ;; esac
  say "installing the fyne tool $FYNE_VERSION into ${tools#$root/}"
  mkdir -p "$tools"
  GOBIN=$tools $GO install "fyne.io/tools/cmd/fyne@$FYNE_VERSION"
}

# stage_source copies the working tree (tracked and new files, not ignored
# ones) to $1, so uncommitted work is packaged as `go build .` would see it.
stage_source() {
  local dst=$1
  rm -rf "$dst" && mkdir -p "$dst"
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z -co --exclude-standard |
      while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done |
      tar --null -T - -cf - | tar -xf - -C "$dst"
  else
    tar --exclude=./bin --exclude=./dist --exclude=./.git -cf - . | tar -xf - -C "$dst"
  fi
}

package_linux() {
  need_debs xz-utils desktop-file-utils shared-mime-info
  need_fyne
  local src=$work/linux-src stage=$work/linux-stage
  stage_source "$src"
  say "linux: fyne package -os linux (release build)"
  (cd "$src" && "$fyne" package -os linux --release)
  # Repack fyne's archive with Burrow's own desktop entry (one file per launch:
  # %f, so a second file goes to the running window), the GGUF MIME type, a
  # themed icon and a Makefile that installs and registers all of them.
  rm -rf "$stage" && mkdir -p "$stage"
  tar -xJf "$src/Burrow.tar.xz" -C "$stage"
  local top=$stage/burrow usr
  usr=$(dirname "$(dirname "$(find "$top/usr" -path '*/bin/burrow' -type f | head -n1)")")
  [ -x "$usr/bin/burrow" ] || { echo "package: no burrow binary in fyne's archive" >&2; exit 1; }
  if [ "$usr" != "$top/usr/local" ]; then # fyne drops "local" when the build machine has no /usr/local
    mkdir -p "$top/usr/local" && mv "$usr"/* "$top/usr/local/" && usr=$top/usr/local
  fi
  install -Dm644 assets/linux/$appid.desktop "$usr/share/applications/$appid.desktop"
  install -Dm644 assets/linux/$appid.xml "$usr/share/mime/packages/$appid.xml"
  install -Dm644 assets/icon.png "$usr/share/icons/hicolor/512x512/apps/$appid.png"
  install -Dm644 assets/linux/Makefile "$top/Makefile"
  desktop-file-validate "$usr/share/applications/$appid.desktop"
  mkdir -p "$dist"
  tar -C "$stage" -cJf "$linux_archive" burrow
  rm -rf "$stage" "$src"
  check_linux
  say "linux: $(du -h "$linux_archive" | cut -f1) ${linux_archive#$root/}"
}

# check_linux installs the archive into a temporary prefix the way a user
# would and checks the desktop entry and the MIME registration.
check_linux() {
  local tmp; tmp=$(mktemp -d "$work/check.XXXXXX")
  tar -xJf "$linux_archive" -C "$tmp"
  local p=$tmp/prefix
  # The prefix on XDG_DATA_DIRS, as it would be for a real install, keeps
  # update-mime-database from warning that nobody searches it.
  XDG_DATA_DIRS="$p/share:${XDG_DATA_DIRS:-/usr/local/share:/usr/share}" \
    make -s -C "$tmp/burrow" install PREFIX="$p" >/dev/null
  desktop-file-validate "$p/share/applications/$appid.desktop"
  grep -q "^Exec=$p/bin/burrow %f$" "$p/share/applications/$appid.desktop" ||
    { echo "package: check: Exec does not point at the installed binary" >&2; exit 1; }
  grep -q '^MimeType=application/x-gguf;$' "$p/share/applications/$appid.desktop"
  [ -x "$p/bin/burrow" ] && [ -s "$p/share/icons/hicolor/512x512/apps/$appid.png" ]
  if command -v update-mime-database >/dev/null; then
    grep -q '^application/x-gguf:\*\.gguf$' <(sed 's/^[0-9]*://' "$p/share/mime/globs2") ||
      { echo "package: check: *.gguf is not registered in the MIME database" >&2; exit 1; }
  fi
  XDG_DATA_DIRS="$p/share:${XDG_DATA_DIRS:-/usr/local/share:/usr/share}" \
    make -s -C "$tmp/burrow" uninstall PREFIX="$p" >/dev/null
  [ ! -e "$p/bin/burrow" ] || { echo "package: check: uninstall left the binary" >&2; exit 1; }
  rm -rf "$tmp"
  say "linux: archive installs into a prefix, desktop entry valid, *.gguf registered"
}

package_windows() {
  need_debs gcc-mingw-w64-x86-64
  need_fyne
  local src=$work/windows-src
  stage_source "$src"
  say "windows: fyne package -os windows (mingw-w64 cross build, several minutes cold)"
  (cd "$src" && CC=x86_64-w64-mingw32-gcc CGO_ENABLED=1 GOOS=windows GOARCH=amd64 \
    "$fyne" package -os windows --release)
  mkdir -p "$dist"
  mv "$src/Burrow.exe" "$windows_exe"
  rm -rf "$src"
  if command -v file >/dev/null; then
    file "$windows_exe" | grep -q 'PE32+ executable (GUI) x86-64' ||
      { echo "package: $windows_exe is not a Windows GUI executable: $(file -b "$windows_exe")" >&2; exit 1; }
  fi
  say "windows: $(du -h "$windows_exe" | cut -f1) ${windows_exe#$root/}"
}

# install_user puts the Linux build under $PREFIX (default ~/.local) and
# refreshes the desktop and MIME databases when their tools are present.
install_user() {
  local prefix=${PREFIX:-$HOME/.local} tmp
  package_linux
  tmp=$(mktemp -d "$work/install.XXXXXX")
  tar -xJf "$linux_archive" -C "$tmp"
  make -s -C "$tmp/burrow" install PREFIX="$prefix"
  rm -rf "$tmp"
  say "installed into $prefix (bin/burrow, share/applications, share/icons, share/mime)"
  case ":$PATH:" in *":$prefix/bin:"*) ;; *) say "note: $prefix/bin is not on your PATH; the menu entry works anyway" ;; esac
}

case "${1:-all}" in
  all) package_linux; package_windows ;;
  linux) package_linux ;;
  windows) package_windows ;;
  install) install_user ;;
  *) echo "usage: tools/package.sh [all|linux|windows|install]" >&2; exit 2 ;;
esac
