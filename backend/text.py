"""Vietnamese text helpers shared by every domain's search."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower-case, diacritics removed, `đ` → `d`, spaces collapsed: the search key.

    `fold("An ninh trật tự") == fold("AN NINH TRAT TU") == "an ninh trat tu"`.
    """
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return _SPACES.sub(" ", stripped).strip().lower()
