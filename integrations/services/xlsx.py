"""Reading an XLSX sheet's values fast: openpyxl's read-only mode, minus its per-cell objects.

openpyxl builds a descriptor-laden object per shared string and a dict per cell; on a 100 000-row
ПОС export that was 8 s of the import (issue 4). Here openpyxl still reads the workbook's
structure — the sheets in order, the 1900/1904 epoch, which cell styles are dates — so those
rules stay its own; the shared strings and the sheet's cells are parsed with expat (C, no tree)
and produce exactly the values ``iter_rows(values_only=True)`` gives in ``data_only`` mode:

- numbers as ``int`` when written without a point or exponent, else ``float``; under a date
  style a ``datetime`` (``date``/``time``/``timedelta`` as openpyxl's ``from_excel`` says), or
  ``"#VALUE!"`` for a serial outside the calendar;
- shared strings (plain and rich text, phonetic runs left out), inline strings, formula
  strings, booleans, ISO dates (``t="d"``), error codes as text; a formula's cached value;
- a row as wide as its last cell, gaps ``None``; a missing row as an empty one, so rows keep
  the numbers Excel shows; the sheet's ``<dimension>`` is not trusted (read to the end).

Untrusted input: a document type declaration is refused (no entity tricks); anything malformed
raises, and the caller turns any exception into "the file is unreadable".
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import IO, Any
from xml.parsers import expat

from openpyxl.reader.excel import ExcelReader
from openpyxl.utils.cell import column_index_from_string
from openpyxl.utils.datetime import from_excel, from_ISO8601
from openpyxl.workbook.workbook import Workbook
from openpyxl.xml.constants import SHARED_STRINGS

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_SEP = "|"  # expat joins namespace and local name with this
_ROW, _CELL, _VALUE = f"{_NS}|row", f"{_NS}|c", f"{_NS}|v"
_INLINE, _TEXT, _PHONETIC, _SI = f"{_NS}|is", f"{_NS}|t", f"{_NS}|rPh", f"{_NS}|si"
_CHUNK = 1 << 16  # bytes of XML fed to the parser at a time
_DIGITS = "0123456789"


class SheetUnreadable(ValueError):
    """The sheet's XML breaks the format (a DTD, a bad row number)."""


class Book:
    """An open workbook: its worksheets' rows, one sheet at a time."""

    def __init__(self, data: bytes) -> None:
        reader = _Reader(io.BytesIO(data), read_only=True, data_only=True)
        try:
            reader.read()
        except BaseException:
            reader.archive.close()
            raise
        self._archive: zipfile.ZipFile = reader.archive
        self._strings: list[str] = reader.shared_strings
        workbook: Workbook = reader.wb
        self._epoch: datetime = workbook.epoch
        # openpyxl's own reading of the stylesheet and the workbook (private, untyped names;
        # the openpyxl pin in pyproject.toml is < 3.2).
        self._dates: set[int] = set(getattr(workbook, "_date_formats", ()))
        self._durations: set[int] = set(getattr(workbook, "_timedelta_formats", ()))
        self.sheet_paths: list[str] = [
            getattr(sheet, "_worksheet_path")  # noqa: B009 — every read-only sheet has one
            for sheet in workbook.worksheets
        ]

    def rows(self, sheet_path: str) -> Iterator[Sequence[Any]]:
        """The sheet's rows from row 1, as ``iter_rows(values_only=True)`` yields them."""
        with self._archive.open(sheet_path) as source:
            yield from _SheetParser(self).rows(source)

    def close(self) -> None:
        self._archive.close()


class _Reader(ExcelReader):
    """openpyxl's reader with the shared strings parsed by expat (a string table of an export
    holds a string per cell: hundreds of thousands of them)."""

    def read_strings(self) -> None:
        part = self.package.find(SHARED_STRINGS)
        if part is not None:
            with self.archive.open(part.PartName[1:]) as source:
                self.shared_strings = _shared_strings(source)


def _parser() -> Any:
    parser = expat.ParserCreate(namespace_separator=_SEP)
    parser.buffer_text = True

    def refuse_doctype(*_args: Any) -> None:
        raise SheetUnreadable("DOCTYPE in a workbook part")

    parser.StartDoctypeDeclHandler = refuse_doctype
    return parser


def _feed(parser: Any, source: IO[bytes]) -> None:
    while chunk := source.read(_CHUNK):
        parser.Parse(chunk, False)
    parser.Parse(b"", True)


def _shared_strings(source: IO[bytes]) -> list[str]:
    """As openpyxl's ``read_string_table``: each ``<si>``'s text runs joined, phonetic runs
    (``<rPh>``) left out, and its removal of ``x005F_``."""
    strings: list[str] = []
    parts: list[str] = []
    state = {"text": False, "phonetic": 0}

    def start(name: str, _attrs: dict[str, str]) -> None:
        if name == _TEXT and not state["phonetic"]:
            state["text"] = True
        elif name == _SI:
            parts.clear()
        elif name == _PHONETIC:
            state["phonetic"] += 1

    def end(name: str) -> None:
        if name == _TEXT:
            state["text"] = False
        elif name == _SI:
            strings.append("".join(parts).replace("x005F_", ""))
        elif name == _PHONETIC:
            state["phonetic"] -= 1

    def text(data: str) -> None:
        if state["text"]:
            parts.append(data)

    parser = _parser()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    _feed(parser, source)
    return strings


class _SheetParser:
    """One pass over a worksheet part; rows are collected as the parser completes them and
    handed out after each chunk, so memory stays flat whatever the sheet's length."""

    def __init__(self, book: Book) -> None:
        self.book = book
        self.columns: dict[str, int] = {}  # "AB" → 28, cached: an export has a dozen letters
        self.done: list[tuple[int, list[Any]]] = []
        self.row_number = 0
        self.cells: list[tuple[int, Any]] = []
        self.column = 0
        self.cell_type = "n"
        self.style = 0
        self.value: str | None = None
        self.inline: list[str] | None = None  # the text of an <is>, when the cell has one
        self.parts: list[str] = []  # the text of the cell's <v>
        self.target: list[str] | None = None  # where character data goes now, if anywhere
        self.in_cell = False
        self.depth_phonetic = 0

    def rows(self, source: IO[bytes]) -> Iterator[Sequence[Any]]:
        parser = _parser()
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.CharacterDataHandler = self.text
        expected = 1
        chunks = iter(lambda: source.read(_CHUNK), b"")
        final = False
        broken: Exception | None = None
        while not final and broken is None:
            chunk = next(chunks, None)
            final = chunk is None
            try:
                parser.Parse(chunk or b"", final)
            except Exception as error:  # the rows completed before the break still count
                broken = error
            for number, values in self.done:
                if number < expected:
                    continue  # out of order: openpyxl drops it too
                while expected < number:  # rows the file leaves out are empty rows
                    expected += 1
                    yield []
                expected += 1
                yield values
            self.done.clear()
        if broken is not None:
            raise broken

    # --- expat handlers ----------------------------------------------------------------

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name == _CELL:
            self.in_cell = True
            self.cell_type = attrs.get("t", "n")
            style = attrs.get("s")
            # No attribute is style 0 (which may be a date style); an empty one is no style.
            self.style = 0 if style is None else int(style) if style else -1
            self.value = None
            self.inline = None
            reference = attrs.get("r")
            if reference:
                self.column = self._column(reference)
            else:
                self.column += 1
        elif not self.in_cell:
            if name == _ROW:
                self._row_start(attrs.get("r"))
        elif name == _VALUE:
            if self.value is None:  # the first <v> counts, as findtext() takes it
                self.parts = []
                self.target = self.parts
        elif name == _INLINE:
            self.inline = []
        elif name == _TEXT:
            if self.inline is not None and not self.depth_phonetic:
                self.target = self.inline
        elif name == _PHONETIC:
            self.depth_phonetic += 1

    def end(self, name: str) -> None:
        if name == _CELL:
            self.in_cell = False
            self.target = None
            self.cells.append((self.column, self._cell_value()))
        elif name == _VALUE:
            if self.target is self.parts:
                self.value = "".join(self.parts)
            self.target = None
        elif name == _TEXT:
            self.target = None
        elif name == _PHONETIC:
            self.depth_phonetic -= 1
        elif name == _ROW:
            self._row_end()

    def text(self, data: str) -> None:
        if self.target is not None:
            self.target.append(data)

    # --- rows and cells ----------------------------------------------------------------

    def _row_start(self, number: str | None) -> None:
        if number is None:
            self.row_number += 1
        else:
            try:
                self.row_number = int(number)
            except ValueError:
                as_float = float(number)
                if not as_float.is_integer():
                    raise SheetUnreadable(f"{number} is not a valid row number") from None
                self.row_number = int(as_float)
        self.cells = []
        self.column = 0

    def _row_end(self) -> None:
        cells = self.cells
        if not cells:
            self.done.append((self.row_number, []))
            return
        width = cells[-1][0]  # as openpyxl: the last cell's column, not the widest
        values: list[Any] = [None] * width
        for column, value in cells:
            if 1 <= column <= width:
                values[column - 1] = value
        self.done.append((self.row_number, values))

    def _column(self, reference: str) -> int:
        letters = reference.rstrip(_DIGITS)
        column = self.columns.get(letters)
        if column is None:
            column = self.columns[letters] = column_index_from_string(letters)
        return column

    def _cell_value(self) -> Any:
        cell_type = self.cell_type
        if cell_type == "inlineStr":
            return None if self.inline is None else "".join(self.inline)
        value = self.value or None  # an empty <v/> is an empty cell
        if value is None:
            return None
        if cell_type == "n":
            number: int | float = (
                float(value) if "." in value or "E" in value or "e" in value else int(value)
            )
            if self.style in self.book._dates:
                try:
                    return from_excel(
                        number, self.book._epoch, timedelta=self.style in self.book._durations
                    )
                except (OverflowError, ValueError):
                    return "#VALUE!"  # what openpyxl makes of a date serial out of range
            return number
        if cell_type == "s":
            return self.book._strings[int(value)]
        if cell_type == "b":
            return bool(int(value))
        if cell_type == "d":
            return from_ISO8601(value)
        return value  # "str" (a formula's text), "e" (an error code) and unknown types
