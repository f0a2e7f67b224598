"""Property tests of the pure merge rules (no database)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mailapp.server import merge

KEYWORDS = st.sampled_from(["$seen", "$flagged", "$answered", "work", "later"])
KEYWORD_SETS = st.frozensets(KEYWORDS, max_size=5)
VALUES = st.one_of(st.none(), st.integers(0, 3), st.sampled_from(["a", "b", "c"]))
FIELDS = ["subject", "to", "body", "mailboxId"]


@st.composite
def keyword_patches(draw: st.DrawFn) -> tuple[frozenset[str], frozenset[str]]:
    return draw(KEYWORD_SETS), draw(KEYWORD_SETS)


@settings(max_examples=200, deadline=None)
@given(KEYWORD_SETS, keyword_patches(), keyword_patches())
def test_non_contradicting_keyword_patches_commute(
    start: frozenset[str],
    first: tuple[frozenset[str], frozenset[str]],
    second: tuple[frozenset[str], frozenset[str]],
) -> None:
    add1, remove1 = first
    add2, remove2 = second
    # Two devices flipping the same keyword in opposite directions is last-writer-wins;
    # every other pair of patches must end in the same flags whatever the arrival order.
    if (add1 & remove2) or (add2 & remove1):
        return
    one_then_two = merge.apply_keywords(merge.apply_keywords(start, add1, remove1), add2, remove2)
    two_then_one = merge.apply_keywords(merge.apply_keywords(start, add2, remove2), add1, remove1)
    assert one_then_two == two_then_one


@settings(max_examples=200, deadline=None)
@given(KEYWORD_SETS, keyword_patches())
def test_keyword_patch_is_idempotent_and_never_conflicts(
    start: frozenset[str], patch: tuple[frozenset[str], frozenset[str]]
) -> None:
    add, remove = patch
    once = merge.apply_keywords(start, add, remove)
    twice = merge.apply_keywords(once, add, remove)
    assert once == twice
    assert add <= once
    assert not (remove - add) & once
    assert merge.keyword_status(start, once) in ("applied", "merged")
    assert merge.keyword_status(once, twice) == "merged"


@st.composite
def field_changes(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, tuple[Any, Any]]]:
    current = {name: draw(VALUES) for name in FIELDS}
    names = draw(st.lists(st.sampled_from(FIELDS), unique=True, max_size=len(FIELDS)))
    changes = {}
    for name in names:
        # Bias "old" towards the server's value so applied, merged and conflict all occur.
        old = draw(st.one_of(st.just(current[name]), VALUES))
        changes[name] = (old, draw(VALUES))
    return current, changes


@settings(max_examples=300, deadline=None)
@given(field_changes())
def test_no_field_is_ever_lost(case: tuple[dict[str, Any], dict[str, tuple[Any, Any]]]) -> None:
    current, changes = case
    result = merge.merge_fields(current, changes)
    after = merge.apply_merge(current, result)
    for name, (old, new) in changes.items():
        # Either the client's edit landed, or the server's value stayed and the user is told.
        if name in result.conflicts:
            assert after[name] == current[name] != new
            assert current[name] != old
        else:
            assert after[name] == new
    for name in set(current) - set(changes):
        assert after[name] == current[name]
    assert (result.status == "conflict") == bool(result.conflicts)


@settings(max_examples=300, deadline=None)
@given(field_changes())
def test_applying_a_mutation_twice_equals_once(
    case: tuple[dict[str, Any], dict[str, tuple[Any, Any]]],
) -> None:
    current, changes = case
    once = merge.apply_merge(current, merge.merge_fields(current, changes))
    second = merge.merge_fields(once, changes)
    assert merge.apply_merge(once, second) == once
    assert second.updates == {}


def test_conflicting_field_does_not_block_the_others() -> None:
    current = {"subject": "Server edit", "body": "draft text"}
    result = merge.merge_fields(
        current, {"subject": ("Original", "Client edit"), "body": ("draft text", "new text")}
    )
    assert result.conflicts == ("subject",)
    assert merge.apply_merge(current, result) == {"subject": "Server edit", "body": "new text"}
    assert result.status == "conflict"
