"""Sync: this workstation's identity and what is tracked for sync."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel

from lhn_desktop.gui.pages.base import Page


class SyncPage(Page):
    title = "Sync"
    explanation = (
        "Every change made here is recorded for sync, with who made it and when. Compare the key fingerprint "
        "with another workstation's before trusting it. Exporting and importing signed bundles, reviewing what "
        "leaves the center, resolving conflicts and managing trusted keys are added with the sync work."
    )

    def __init__(self, ctx, parent=None) -> None:
        super().__init__(ctx, parent)
        self.values: dict[str, QLabel] = {}
        for title, keys in (
            (
                "This workstation",
                [
                    ("center", "Center"),
                    ("site", "Site code"),
                    ("network", "Network"),
                    ("node", "Workstation id"),
                    ("fingerprint", "Key fingerprint"),
                    ("db", "Database file"),
                ],
            ),
            (
                "Tracked for sync",
                [
                    ("records", "Records"),
                    ("versions", "Field versions"),
                    ("audit", "Audit log entries"),
                    ("last_audit", "Last change"),
                    ("imports", "Bundles imported"),
                    ("trusted", "Trusted keys"),
                ],
            ),
        ):
            box = QGroupBox(title, self)
            form = QFormLayout(box)
            for key, label in keys:
                value = QLabel("", box)
                value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                self.values[key] = value
                form.addRow(f"{label}:", value)
            self.layout_.addWidget(box)
        self.layout_.addStretch(1)

    def refresh(self) -> None:
        info = self.ctx.center()
        stats = self.ctx.overview.sync()
        shown = {
            "center": info.site_name,
            "site": info.site_code,
            "network": info.network or "not set",
            "node": info.node_id,
            "fingerprint": info.fingerprint,
            "db": info.db_path,
            "records": f"{stats.records:,}",
            "versions": f"{stats.field_versions:,}",
            "audit": f"{stats.audit_events:,}",
            "last_audit": stats.last_audit or "none yet",
            "imports": str(stats.imports),
            "trusted": str(stats.trusted_keys),
        }
        for key, text in shown.items():
            self.values[key].setText(text)
