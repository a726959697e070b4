"""GS1 trade item numbers (GTIN-8, -12, -13, -14): the check digit, and the 14-digit form GS1 Digital Link uses.

GS1 General Specifications §7.9 (check digit calculation): counting from the right and excluding the check
digit, digits in odd positions are multiplied by 3 and the others by 1; the check digit is the number that
brings the sum up to the next multiple of ten.

GS1 Digital Link URI syntax 1.2 §4: the primary key ``01`` is the GTIN "in its 14-digit form", that is a GTIN-8,
-12 or -13 padded on the left with zeros.
"""

from __future__ import annotations

from .errors import InputError

__all__ = ["GTIN_LENGTHS", "check_digit", "gtin14", "gtin_problem", "is_valid_gtin", "with_check_digit"]

GTIN_LENGTHS = (8, 12, 13, 14)


def check_digit(body: str) -> int:
    """The check digit of ``body``: a GTIN's digits without its last one (ASCII digits; ``ValueError`` else)."""
    if body.strip("0123456789"):
        raise ValueError(f"a GTIN's digits are ASCII digits, not {body!r}")
    return _check_digit_of_digits(body)


def _check_digit_of_digits(body: str) -> int:
    """:func:`check_digit` of a ``body`` known to be ASCII digits. Summing the code points of every other digit
    from the right, less 48 ("0") for each, is the sum of those digits: one C loop per parity instead of one
    int() per digit (tests: the naive formula)."""
    tripled, single = body[::-2].encode(), body[-2::-2].encode()
    total = 3 * (sum(tripled) - 48 * len(tripled)) + sum(single) - 48 * len(single)
    return (10 - total % 10) % 10


def gtin_problem(value: str) -> str | None:
    """Why ``value`` is not a GTIN (a sentence a person can act on), or None when it is one."""
    if not value.isascii() or not value.isdigit():
        return f"GTIN {value!r} must be digits only"
    if len(value) not in GTIN_LENGTHS:
        return f"GTIN {value!r} has {len(value)} digits; a GTIN has 8, 12, 13 or 14"
    expected = _check_digit_of_digits(value[:-1])  # digits only, checked above
    if int(value[-1]) != expected:
        return f"GTIN {value!r} fails the GS1 check digit: its last digit should be {expected}"
    return None


def is_valid_gtin(value: str) -> bool:
    return gtin_problem(value) is None


def gtin14(value: str) -> str:
    """``value`` in the 14-digit form (GS1 Digital Link's ``01`` key); InputError ``input.gtin_invalid`` unless
    it is a GTIN with a valid check digit."""
    problem = gtin_problem(value)
    if problem is not None:
        raise InputError(problem, code="input.gtin_invalid", field="gtin")
    return value.zfill(14)


def with_check_digit(body: str) -> str:
    """``body`` followed by its check digit: a valid GTIN one digit longer."""
    return body + str(check_digit(body))
