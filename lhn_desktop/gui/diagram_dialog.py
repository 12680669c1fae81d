"""The driver diagram as a picture, with export to PNG or PDF."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QPushButton, QVBoxLayout

from lhn_desktop.errors import LhnError
from lhn_desktop.gui.errors import show_error


class DiagramDialog(QDialog):
    def __init__(self, ctx, goal, parent=None) -> None:
        super().__init__(parent)
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg

        from lhn_desktop.services.improvement import driver_diagram

        self.ctx, self.goal = ctx, goal
        self.setWindowTitle(f"Key driver diagram: {goal.title}")
        self.resize(1100, 640)
        self.canvas = FigureCanvasQTAgg(driver_diagram(goal).figure())
        layout = QVBoxLayout(self)
        layout.addWidget(self.canvas, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, parent=self)
        self.export_button = QPushButton("&Export…", self)
        buttons.addButton(self.export_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.export_button.clicked.connect(self.export)
        layout.addWidget(buttons)

    def export(self) -> None:
        from lhn_desktop.gui.files import ask_save_path, suggested_name

        path = ask_save_path(self, "Export the diagram", "diagrams", suggested_name(f"Driver diagram {self.goal.title}",
                             suffix=".png"), ["PNG picture (*.png)", "PDF document (*.pdf)"])  # fmt: skip
        if path:
            try:
                self.ctx.improvement.export_diagram(self.goal.id, path)
            except LhnError as exc:
                show_error(self, exc)
