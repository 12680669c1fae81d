"""Make the platform icons from resources/icons/lhn-desktop.svg (run again when the SVG changes).

    .venv/bin/python build/make_icons.py

Writes build/icons/: PNGs from 16 to 512 pixels (Linux icon themes), lhn-desktop.ico (Windows)
and lhn-desktop.icns (macOS). Qt draws the SVG; Pillow (installed with matplotlib) writes .ico/.icns.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def render(size: int):
    from PIL import Image
    from PySide6.QtCore import QBuffer, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    QSvgRenderer(str(ROOT / "resources" / "icons" / "lhn-desktop.svg")).render(painter)
    painter.end()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return Image.open(io.BytesIO(bytes(buffer.data()))).convert("RGBA")


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 (Qt needs it alive)
    out = ROOT / "build" / "icons"
    out.mkdir(exist_ok=True)
    images = {size: render(size) for size in SIZES}
    for size, image in images.items():
        image.save(out / f"lhn-desktop-{size}.png")
    images[256].save(out / "lhn-desktop.ico", sizes=[(s, s) for s in SIZES if s <= 256])
    images[512].save(out / "lhn-desktop.icns")
    print(f"wrote {len(SIZES)} PNGs, lhn-desktop.ico and lhn-desktop.icns to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
