"""``keys show | export`` and ``trust add | list | revoke``."""

from __future__ import annotations

import argparse

from lhn_desktop.cli.center import _context
from lhn_desktop.cli.output import emit, emit_json
from lhn_desktop.localization import format_date


def show(args: argparse.Namespace) -> int:
    ctx = _context(args)
    try:
        card = ctx.trust.my_card()
    finally:
        ctx.close()
    if args.json:
        emit_json({"site_id": card.site_id, "node_id": card.node_id, "key_id": card.key_id,
                   "fingerprint": card.fingerprint})  # fmt: skip
    else:
        emit(f"This workstation: site {card.site_id}, workstation {card.node_id}")
        emit(f"Key {card.key_id}; fingerprint (read it to the peer): {card.fingerprint}")
    return 0


def export(args: argparse.Namespace) -> int:
    ctx = _context(args)
    try:
        path = ctx.trust.export_card(args.out)
    finally:
        ctx.close()
    emit(f"Wrote this workstation's key card to {path}. Give it to the peer, and read them the fingerprint.")
    return 0


def trust_add(args: argparse.Namespace) -> int:
    from lhn_desktop.services.trust import TrustService

    card = TrustService.read_card(args.file)
    ctx = _context(args)
    try:
        added = ctx.trust.add(ctx.actor, card, args.fingerprint, args.role)
    finally:
        ctx.close()
    if args.json:
        emit_json(added)
    else:
        emit(f"Trusted key {added.key_id} of {added.site_id} ({added.role}).")
    return 0


def trust_list(args: argparse.Namespace) -> int:
    ctx = _context(args)
    try:
        keys = ctx.trust.list()
    finally:
        ctx.close()
    if args.json:
        emit_json(keys)
        return 0
    for k in keys:
        state = f"revoked {format_date(k.revoked_at)}" if k.revoked_at else "trusted"
        emit(f"{k.key_id}  {k.site_id:12} {k.role:5} {state:18} {k.fingerprint}")
    if not keys:
        emit("No peer keys are trusted yet. Add one with 'lhn-desktop trust add CARD --fingerprint \"...\"'.")
    return 0


def trust_revoke(args: argparse.Namespace) -> int:
    ctx = _context(args)
    try:
        ctx.trust.revoke(ctx.actor, args.key_id)
    finally:
        ctx.close()
    emit(f"Revoked key {args.key_id}: bundles it signs are refused from now on.")
    return 0
