"""The 62 characters AirType recognizes, and the groups that look alike."""

from __future__ import annotations

import string

CLASSES: tuple[str, ...] = tuple(string.digits + string.ascii_uppercase + string.ascii_lowercase)
CLASS_INDEX: dict[str, int] = {c: i for i, c in enumerate(CLASSES)}
NUM_CLASSES = len(CLASSES)

# Characters that most writers draw identically; a prediction inside the
# label's group counts as right for the "folded" accuracy.
LOOKALIKE_GROUPS: tuple[str, ...] = (
    "cC",
    "oO0",
    "sS",
    "vV",
    "wW",
    "xX",
    "zZ",
    "kK",
    "pP",
    "uU",
    "yY",
    "lI1",
    "mM",
    "jJ",
)
_FOLD: dict[str, str] = {c: group[0] for group in LOOKALIKE_GROUPS for c in group}


class LabelError(ValueError):
    """A label that is not one of the 62 characters."""


def fold(char: str) -> str:
    """The representative of `char`'s look-alike group (itself if it has none)."""
    return _FOLD.get(char, char)


def category(char: str) -> str:
    if char.isdigit():
        return "digits"
    return "upper" if char.isupper() else "lower"


def validate_label(label: object) -> str:
    """Return `label` if it is one of the 62 characters, else raise LabelError."""
    if not isinstance(label, str) or label not in CLASS_INDEX:
        raise LabelError(f"{label!r} is not a character AirType knows: use one of 0-9, A-Z, a-z.")
    return label
