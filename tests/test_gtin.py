"""GS1 check digits (GS1 General Specifications §7.9) and the 14-digit form of GS1 Digital Link's ``01`` key,
cross-checked against a naive reference written from the specification's worked table."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mapping.errors import InputError
from mapping.gtin import check_digit, gtin14, gtin_problem, with_check_digit


def _reference_check_digit(body: str) -> int:
    """GS1's table: weights 3,1,3,1… from the rightmost digit of the body; check = nearest multiple of 10 up."""
    weights = [3 if i % 2 == 0 else 1 for i in range(len(body))]
    total = sum(w * int(d) for w, d in zip(weights, reversed(body), strict=True))
    nearest_ten_up = -(-total // 10) * 10
    return nearest_ten_up - total


@pytest.mark.parametrize(
    "gtin",
    [
        "4006381333931",  # a GTIN-13 printed on a retail product (Stabilo pen), the usual textbook example
        "036000291452",  # a UPC-A (GTIN-12)
        "96385074",  # a GTIN-8
        "10614141000415",  # GS1's Digital Link examples use GTIN 10614141000415 (01 key)
    ],
)
def test_known_gtins_pass(gtin: str) -> None:
    assert gtin_problem(gtin) is None


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("4006381333932", "check digit: its last digit should be 1"),
        ("400638133393", "fails the GS1 check digit"),
        ("40063813339", "has 11 digits"),
        ("4006381333931x", "digits only"),
        ("٤٠٠٦٣٨١٣٣٣٩٣١", "digits only"),  # Arabic-Indic digits are digits to str.isdigit, not to GS1
        ("", "digits only"),
    ],
)
def test_not_a_gtin_says_why(value: str, words: str) -> None:
    problem = gtin_problem(value)
    assert problem is not None and words in problem


@pytest.mark.parametrize("body", ["12a4", "٤٠٠٦", "2²", " 12", "-12"])
def test_attack_a_check_digit_of_something_other_than_ascii_digits_is_refused(body: str) -> None:
    # the fast sum reads code points: a non-digit must never be summed as one
    with pytest.raises(ValueError):
        check_digit(body)


@given(st.text(alphabet="0123456789", min_size=0, max_size=20))
def test_check_digit_agrees_with_the_naive_reference(body: str) -> None:
    assert check_digit(body) == _reference_check_digit(body)
    full = with_check_digit(body)
    if len(full) in (8, 12, 13, 14):
        assert gtin_problem(full) is None
        wrong = full[:-1] + str((int(full[-1]) + 1) % 10)
        assert gtin_problem(wrong) is not None  # every single-digit error in the check digit is caught


@given(st.text(alphabet="0123456789", min_size=12, max_size=13), st.integers(0, 11), st.integers(1, 9))
def test_any_single_digit_change_is_caught(body: str, position: int, delta: int) -> None:
    full = with_check_digit(body)
    i = position % len(full)
    changed = full[:i] + str((int(full[i]) + delta) % 10) + full[i + 1 :]
    assert gtin_problem(changed) is not None


def test_gtin14_pads_and_refuses() -> None:
    assert gtin14("4006381333931") == "04006381333931"
    assert gtin14("96385074") == "00000096385074"
    with pytest.raises(InputError) as e:
        gtin14("4006381333932")
    assert e.value.code == "input.gtin_invalid"
