"""Language negotiation: Vietnamese first, English when the client prefers it."""

from __future__ import annotations

SUPPORTED = ("vi", "en")
DEFAULT = "vi"


def pick_language(accept_language: str | None) -> str:
    """The supported language the `Accept-Language` header prefers most (RFC 9110 §12.5.4).

    At equal weight the first listed wins; anything unparseable or unsupported falls back
    to Vietnamese.
    """
    if not accept_language:
        return DEFAULT
    best, best_q = DEFAULT, -1.0
    for item in accept_language.split(","):
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in SUPPORTED and primary != "*":
            continue
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        language = DEFAULT if primary == "*" else primary
        # At equal weight the entry listed first wins.
        if q > 0 and q > best_q:
            best, best_q = language, q
    return best
