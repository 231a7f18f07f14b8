"""What changed between two texts, as HTML a reviewer reads: unchanged text as it is, removed
words in `<del>`, added words in `<ins>` (each with a hidden word saying which, for screen
readers, which do not announce the elements themselves)."""

from __future__ import annotations

import difflib
import re

from markupsafe import Markup, escape

_TOKENS = re.compile(r"\s+|[^\s]+")


def diff_html(old: str, new: str, *, added: str = "thêm", removed: str = "bỏ") -> Markup:
    """`old` → `new` marked up line by line, and word by word within changed lines. An empty
    `old` (nothing approved yet) gives the whole of `new` as added."""
    old_lines = old.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    parts: list[str] = []
    lines = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for op, i1, i2, j1, j2 in lines.get_opcodes():
        before, after = "".join(old_lines[i1:i2]), "".join(new_lines[j1:j2])
        if op == "equal":
            parts.append(str(escape(after)))
        elif op == "replace":
            parts.append(_words(before, after, added, removed))
        elif op == "delete":
            parts.append(_mark("del", before, removed))
        else:
            parts.append(_mark("ins", after, added))
    return Markup("".join(parts))  # noqa: S704  # every piece of text was escaped above


def _words(old: str, new: str, added: str, removed: str) -> str:
    old_tokens = _TOKENS.findall(old)
    new_tokens = _TOKENS.findall(new)
    parts: list[str] = []
    words = difflib.SequenceMatcher(None, old_tokens, new_tokens, autojunk=False)
    for op, i1, i2, j1, j2 in words.get_opcodes():
        before, after = "".join(old_tokens[i1:i2]), "".join(new_tokens[j1:j2])
        if op == "equal":
            parts.append(str(escape(after)))
            continue
        if op in ("replace", "delete"):
            parts.append(_mark("del", before, removed))
        if op in ("replace", "insert"):
            parts.append(_mark("ins", after, added))
    return "".join(parts)


def _mark(tag: str, text: str, label: str) -> str:
    if not text:
        return ""
    return f'<{tag}><span class="visually-hidden">[{escape(label)}] </span>{escape(text)}</{tag}>'
