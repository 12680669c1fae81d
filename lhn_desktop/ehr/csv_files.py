"""Reading a CSV report exported from the EHR: its encoding, its delimiter, its header and rows.

EHR reports come as UTF-8 with or without a byte-order mark, UTF-16 (Excel's "Unicode text") or
Windows-1252, separated by commas, semicolons (European locales) or tabs. :func:`read_table` works
them out from the file itself and gives the header and every row with its line number in the file.
It reads at most :data:`MAX_BYTES`; a file that is not text is refused with a message naming it.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from pathlib import Path

from lhn_desktop.errors import ValidationError

MAX_BYTES = 64 * 1024 * 1024
DELIMITERS = (",", ";", "\t")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


@dataclass(frozen=True)
class Table:
    name: str
    encoding: str
    delimiter: str
    header: tuple[str, ...]
    #: (line number in the file, the row's cells), the header being line 1
    rows: tuple[tuple[int, tuple[str, ...]], ...]

    def describe(self) -> str:
        return f"{len(self.rows):,} rows, {self.encoding}, {DELIMITER_NAMES[self.delimiter]}-separated"


def decode(raw: bytes, name: str) -> tuple[str, str]:
    """The text of a file and the encoding it was in."""
    if raw.startswith(codecs.BOM_UTF8):
        return raw[3:].decode("utf-8", errors="strict"), "UTF-8"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            raise ValidationError(f"{name} says it is UTF-16 text but is not; export it again.") from None
    if b"\x00" in raw[:4096]:
        raise ValidationError(f"{name} is not a text file; export the report as CSV.")
    try:
        return raw.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace"), "Windows-1252"


def sniff_delimiter(text: str) -> str:
    """Comma, semicolon or tab: the one that splits the first lines into the same, largest number of cells."""
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        header = lines[0]
        return max(DELIMITERS, key=lambda d: (header.count(d), d == ","))


def read_table(path: Path) -> Table:
    name = path.name
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ValidationError(f"{name} is larger than {MAX_BYTES // (1024 * 1024)} MB; export a shorter period.")
        raw = path.read_bytes()
    except OSError as exc:
        raise ValidationError(f"{name} cannot be read: {exc.strerror or 'refused'}.") from None
    text, encoding = decode(raw, name)
    if not text.strip():
        raise ValidationError(f"{name} is empty; export the report with its header row.")
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        records = [(reader.line_num, tuple(cell.strip() for cell in row)) for row in reader]
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):  # csv's own cap (131,072 characters a cell)
            raise ValidationError(
                f"{name} line {reader.line_num}: a cell is longer than {csv.field_size_limit():,} characters, which "
                "no EHR report holds; check that this is the report you meant, or export it again."
            ) from None
        raise ValidationError(
            f"{name} line {reader.line_num}: the CSV is broken there (a quote not closed?)."
        ) from None
    (_, header), *rows = records
    if not any(header):
        raise ValidationError(f"{name}: the first line must name the columns.")
    return Table(name, encoding, delimiter, header, tuple((n, r) for n, r in rows if any(r)))
