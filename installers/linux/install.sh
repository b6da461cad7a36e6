#!/usr/bin/env bash
# Install the one-folder bundle (dist/cqrs-desktop, from `make bundle`) for every user of a Linux PC:
#   sudo installers/linux/install.sh [BUNDLE_DIR] [PREFIX]      (default dist/cqrs-desktop and /opt)
#   sudo installers/linux/install.sh --uninstall [PREFIX]       (each person's data is kept)
# The practice's site configuration goes in /etc/xdg/cqrs-desktop/site.toml (owned by root, mode 0644).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
share=/usr/local/share
if [ "${1:-}" = "--uninstall" ]; then
    prefix="${2:-/opt}"
    rm -rf "$prefix/cqrs-desktop" /usr/local/bin/cqrs-desktop "$share/applications/cqrs-desktop.desktop"
    find "$share/icons/hicolor" -name 'cqrs-desktop.*' -delete 2>/dev/null || true
    echo "CQRS Desktop removed. Each person's data in ~/.local/share/CQRS is kept."
    exit 0
fi
bundle="${1:-$root/dist/cqrs-desktop}"
prefix="${2:-/opt}"
[ -x "$bundle/cqrs-desktop" ] || { echo "No bundle in $bundle: run 'make bundle' first." >&2; exit 1; }
rm -rf "$prefix/cqrs-desktop"
mkdir -p "$prefix" /usr/local/bin "$share/applications"
cp -a "$bundle" "$prefix/cqrs-desktop"
ln -sf "$prefix/cqrs-desktop/cqrs-desktop" /usr/local/bin/cqrs-desktop
for size in 16 24 32 48 64 128 256 512; do
    install -D -m 0644 "$root/resources/icons/cqrs-desktop-$size.png" \
        "$share/icons/hicolor/${size}x${size}/apps/cqrs-desktop.png"
done
install -D -m 0644 "$root/resources/icons/cqrs-desktop.svg" "$share/icons/hicolor/scalable/apps/cqrs-desktop.svg"
install -m 0644 "$here/cqrs-desktop.desktop" "$share/applications/cqrs-desktop.desktop"
command -v update-desktop-database >/dev/null && update-desktop-database -q "$share/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q "$share/icons/hicolor" || true
echo "CQRS Desktop installed in $prefix/cqrs-desktop; start it from the applications menu or 'cqrs-desktop'."
