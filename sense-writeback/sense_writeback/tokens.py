"""Pre-shared tokens (query-parameter and header modes): several valid at once, compared in constant time."""
from __future__ import annotations

import hmac
from typing import Iterable, Tuple

MIN_TOKEN_LENGTH = 16


class TokenSet:
    """The currently accepted tokens. Holds them as bytes; its repr never shows them."""

    def __init__(self, tokens: Iterable[str]):
        self._tokens: Tuple[bytes, ...] = tuple(t.encode("utf-8") for t in tokens)

    def __bool__(self) -> bool:
        return bool(self._tokens)

    def __len__(self) -> int:
        return len(self._tokens)

    def __repr__(self) -> str:
        return f"TokenSet(<{len(self._tokens)} token(s)>)"

    def overlaps(self, other: "TokenSet") -> bool:
        """Whether a token is in both sets (the feed's read tokens must differ from Sense's)."""
        return any(token in other._tokens for token in self._tokens)

    def matches(self, candidate: str) -> bool:
        """Whether ``candidate`` is one of the tokens; every token is compared, each in constant time."""
        given = candidate.encode("utf-8", "surrogatepass")
        found = False
        for token in self._tokens:
            found |= hmac.compare_digest(given, token)
        return found


def parse_tokens(text: str) -> list:
    """Tokens from ``a,b`` or one per line (blank entries ignored, surrounding spaces stripped)."""
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]
