"""Rows of an imported file, one at a time: .xlsx through python-calamine (the sheet is
parsed by Rust into compact cells; Python sees one row at a time, never the whole sheet as
objects), .csv through the csv module over the file (UTF-8, with or without BOM; comma,
semicolon or tab). Empty rows are skipped."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from python_calamine import CalamineWorkbook

FileFormat = Literal["xlsx", "csv"]
XLSX_MAGIC = b"PK\x03\x04"


class UnreadableFile(Exception):
    """The file is neither a readable .xlsx nor a UTF-8 .csv."""


def detect_format(head: bytes, filename: str | None) -> FileFormat:
    """xlsx by its bytes (a ZIP), else csv when the bytes are text."""
    if head.startswith(XLSX_MAGIC):
        return "xlsx"
    if b"\x00" in head:
        raise UnreadableFile("binary, not a csv")
    if filename and filename.lower().endswith((".xls", ".xlsb", ".ods")):
        raise UnreadableFile("only .xlsx and .csv")
    return "csv"


def _empty(row: list[object]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


class Rows:
    """The rows of a file: `header`, then iterate (row number, cells); `total` is the count
    of rows after the header as the file states it (empty ones included)."""

    def __init__(self, path: Path, file_format: FileFormat) -> None:
        self.path = path
        self.file_format = file_format
        self.total = 0
        self.header: list[object] = []
        self._workbook: CalamineWorkbook | None = None
        self._iter: Iterator[list[object]]
        self._handle = None

    def open(self) -> Rows:
        try:
            if self.file_format == "xlsx":
                self._workbook = CalamineWorkbook.from_path(str(self.path))
                sheet = self._workbook.get_sheet_by_index(0)
                self.total = max(sheet.height - 1, 0)
                self._iter = iter(sheet.iter_rows())  # type: ignore[arg-type]  # cells are objects
            else:
                with self.path.open("rb") as counting:
                    self.total = max(sum(1 for _ in counting) - 1, 0)
                handle = self.path.open(encoding="utf-8-sig", newline="")
                self._handle = handle  # type: ignore[assignment]  # a text file
                first = handle.readline()
                delimiter = max((",", ";", "\t"), key=first.count)
                handle.seek(0)
                self._iter = iter(csv.reader(handle, delimiter=delimiter))  # type: ignore[arg-type]
            self.header = next(self._iter, [])
        except UnicodeDecodeError as exc:
            self.close()
            raise UnreadableFile("not UTF-8") from exc
        except Exception as exc:
            self.close()
            raise UnreadableFile(str(exc)) from exc
        return self

    def __iter__(self) -> Iterator[tuple[int, list[object]]]:
        number = 1
        for row in self._iter:
            number += 1
            if not _empty(row):
                yield number, row

    def close(self) -> None:
        if self._workbook is not None:
            self._workbook.close()
            self._workbook = None
        if self._handle is not None:
            self._handle.close()
            self._handle = None
