"""The sync thread's GIL policy (mailapp.sync.threads): a short switch interval, never longer."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from mailapp.sync.threads import UI_SWITCH_INTERVAL_S, share_gil_with_ui


@pytest.fixture
def restore_interval() -> Iterator[None]:
    before = sys.getswitchinterval()
    yield
    sys.setswitchinterval(before)


@pytest.mark.usefixtures("restore_interval")
def test_the_default_interval_is_shortened_for_the_ui_thread() -> None:
    sys.setswitchinterval(0.005)  # CPython's default
    share_gil_with_ui()
    assert sys.getswitchinterval() == pytest.approx(UI_SWITCH_INTERVAL_S)


@pytest.mark.usefixtures("restore_interval")
def test_a_shorter_interval_chosen_elsewhere_is_kept() -> None:
    sys.setswitchinterval(UI_SWITCH_INTERVAL_S / 4)
    share_gil_with_ui()
    assert sys.getswitchinterval() == pytest.approx(UI_SWITCH_INTERVAL_S / 4)
