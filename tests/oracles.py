"""Independent reference implementations the data tests check generators against."""


def luhn(number: str) -> bool:
    """The Luhn checksum of the digits in ``number`` (payment card numbers)."""
    digits = [int(c) for c in number if c.isdigit()]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return total % 10 == 0
