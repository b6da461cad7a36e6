"""Make the application icon's PNG sizes and the Windows ICO from the SVG master in resources/icons/.

Drawn with Qt's own SVG renderer (QtSvg comes with PySide6-Essentials, so nothing more to install) and
packed into the ICO with Pillow (installed with matplotlib). Run by ``make icons``:

    python installers/make_icons.py [--out resources/icons]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MASTER = ROOT / "resources" / "icons" / "cqrs-desktop.svg"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)  # 256 is the largest an ICO holds


def png_name(size: int) -> str:
    return f"cqrs-desktop-{size}.png"


def render(svg: Path, size: int) -> object:
    """The SVG drawn on a transparent ``size``×``size`` QImage."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg} is not an SVG file Qt can draw")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def make_icons(svg: Path, out: Path) -> list[Path]:
    """Write every PNG size and the ICO into ``out``; returns the files written."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PIL import Image
    from PySide6.QtGui import QGuiApplication

    _app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])  # noqa: F841  (QPainter needs one)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for size in PNG_SIZES:
        target = out / png_name(size)
        if not render(svg, size).save(str(target), "PNG"):  # type: ignore[attr-defined]
            raise SystemExit(f"could not write {target}")
        written.append(target)
    # Each ICO size drawn from the SVG at that size (sharper than Pillow scaling one large picture).
    frames = [Image.open(out / png_name(size)).convert("RGBA") for size in ICO_SIZES]
    ico = out / "cqrs-desktop.ico"
    frames[-1].save(ico, format="ICO", sizes=[(s, s) for s in ICO_SIZES], append_images=frames[:-1])
    written.append(ico)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--svg", type=Path, default=MASTER, help="the SVG master")
    parser.add_argument("--out", type=Path, default=MASTER.parent, help="the folder to write the icons in")
    args = parser.parse_args(argv)
    for path in make_icons(args.svg, args.out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
