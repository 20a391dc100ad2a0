"""The COPYUID answer (RFC 4315) as servers write it: ranges, lists, both orders."""

import pytest

from webmail.imap.gateway import _parse_copyuid


@pytest.mark.parametrize("answer,expected", [
    (b"1796039378 4 9", (1796039378, {4: 9})),
    (b"38505 304,319:320 3956:3958", (38505, {304: 3956, 319: 3957, 320: 3958})),
    ("7 1:3,10 20:23", (7, {1: 20, 2: 21, 3: 22, 10: 23})),
    (b"7 5:3 8:10", (7, {5: 8, 4: 9, 3: 10})),  # a range may be written high to low
])
def test_copyuid_pairs_each_source_uid_with_its_new_uid(answer, expected):
    assert _parse_copyuid(answer) == expected


def test_a_copyuid_with_unequal_sets_is_refused():
    with pytest.raises(ValueError):
        _parse_copyuid(b"7 1:3 10:11")
