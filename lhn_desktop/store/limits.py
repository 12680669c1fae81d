"""How long a synced value may be: one number that entry, export and import agree on.

Every text that travels in a bundle is one field version on one line, and the bundle reader refuses a
string longer than ``MAX_TEXT`` (``sync/bundle.py``). So change capture refuses to store a longer one
(whatever form, import or command wrote it), and the bundle writer refuses to send one that was stored
before this check: a value that could not be read at the other end is never written. The services'
own limits for what people type (a name of 200 characters, ...) are shorter and stay as they are.
"""

from __future__ import annotations

#: the most characters one synced text field holds (about 30 pages of text)
MAX_TEXT = 100_000
#: the largest file a commons resource may attach; entry refuses a larger one and the bundle reader too
ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024


def too_long(entity: str, field: str, length: int) -> str:
    """The message for a value over ``MAX_TEXT``: the field and the record kind, never the value."""
    what = f"The {field.replace('_', ' ')} of this {entity.replace('_', ' ')}"
    return (f"{what} is {length:,} characters long; a field holds at most {MAX_TEXT:,}. Shorten it (or attach "
            "the long text as a file); nothing was saved.")  # fmt: skip
