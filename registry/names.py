"""How names are compared and searched: folded to plain lowercase ASCII-ish letters.

"Ha Noi" must find "Hà Nội", and "Sample CBO 07" must clash with "sample cbo 07", so every
name comparison and every search goes through `fold`.
"""

from __future__ import annotations

import re
import unicodedata

# Letters that carry no combining mark in Unicode and so survive NFKD untouched.
_PLAIN = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l",
                        "ß": "ss", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ı": "i"})
_SPACES = re.compile(r"[\s\-_.,;:/'’()\[\]]+")


def fold(text: str) -> str:
    """Lowercase, strip diacritics and collapse punctuation/space runs to one space."""
    if text.isascii():  # nothing to strip: most names and codes, checked by the thousand on import
        return _SPACES.sub(" ", text.casefold()).strip()
    decomposed = unicodedata.normalize("NFKD", text.translate(_PLAIN))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped.casefold()).strip()
