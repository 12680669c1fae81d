"""The registration form, the visit form (Crohn disease and UC) and a correction history drawn at 100 % and 150 %.

Each scale runs in its own process (Qt reads QT_SCALE_FACTOR once). The pictures go to LHN_SCREENSHOTS when it
names a folder, to look at; the test checks that every screen was drawn and that 150 % is really larger.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

ROOT = Path(__file__).resolve().parents[2]
SCREENS = ("registration", "visit-crohn", "visit-uc", "correction-history")


def test_the_clinical_screens_at_two_scales(tmp_path: Path) -> None:
    out = Path(os.environ.get("LHN_SCREENSHOTS") or tmp_path)
    sizes = {}
    for scale, suffix in (("1", "-100"), ("1.5", "-150")):
        env = {**os.environ, "QT_SCALE_FACTOR": scale, "QT_QPA_PLATFORM": "offscreen"}
        result = subprocess.run([sys.executable, "-m", "tests.gui.clinical_screens", str(out), suffix], cwd=ROOT,
                                env=env, capture_output=True, text=True, timeout=180)  # fmt: skip
        assert result.returncode == 0, result.stderr[-2000:]
        for name in SCREENS:
            image = QImage(str(out / f"{name}{suffix}.png"))
            assert not image.isNull(), name
            sizes[name, suffix] = (image.width(), image.height())
    for name in SCREENS:
        (w1, h1), (w2, h2) = sizes[name, "-100"], sizes[name, "-150"]
        assert 1.35 < w2 / w1 < 1.65 and 1.2 < h2 / h1 < 1.8, (name, sizes[name, "-100"], sizes[name, "-150"])
