"""The real app killed (kill -9) while a user types steadily loses at most two seconds of typing.

A real `mailapp` start-up runs in a child process (tests.ui.app_driver): File → New Message,
then keys into the message body at a fixed rhythm, each printed with the time it was typed. The
test kills the process mid-typing and reads the draft from the SQLite file: every key typed more
than two seconds before the kill must be in it, whatever the rhythm. Before the fix the
autosave waited for a pause of a second, so typing that never paused that long was never saved.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mailapp.store import open_store
from tests.ui.app_driver import TEXT
from tests.ui.killed_app import make_profile, type_then_kill

MAX_LOST_S = 2.0
TYPE_FOR_S = 4.5

# Milliseconds between keys, cycled. None of them leaves a pause of a second.
RHYTHMS = {
    "fast and steady": [40],
    "slow and steady": [350],
    "bursts and short pauses": [30] * 12 + [800],
}


@pytest.mark.slow
@pytest.mark.parametrize("rhythm", list(RHYTHMS))
def test_killing_the_app_while_typing_loses_at_most_two_seconds(
    tmp_path: Path, rhythm: str
) -> None:
    profile = make_profile(tmp_path)
    typed, killed_at, app = type_then_kill(tmp_path, profile, RHYTHMS[rhythm], TYPE_FOR_S)
    assert typed, app.errors

    with open_store(profile / "mail.sqlite3") as store:
        account_id = store.accounts()[0][0]
        drafts = store.drafts(account_id)
    saved = drafts[0].body if drafts else ""
    assert len(drafts) <= 1
    assert saved == TEXT[: len(saved)], "the saved draft is not what was typed"

    must_have = max((count for count, when in typed if when <= killed_at - MAX_LOST_S), default=0)
    lost_from = next((when for count, when in typed if count > len(saved)), None)
    lost_s = killed_at - lost_from if lost_from is not None else 0.0
    print(
        f"{rhythm}: typed {typed[-1][0]} keys in {typed[-1][1] - typed[0][1]:.1f} s, "
        f"saved {len(saved)}, lost the last {lost_s:.2f} s of typing"
    )
    assert len(saved) >= must_have, (
        f"{must_have} keys were typed more than {MAX_LOST_S} s before the kill, "
        f"only {len(saved)} were saved ({lost_s:.2f} s of typing lost)"
    )
