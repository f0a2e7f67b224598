"""Times show in the user's time zone and locale: the list shows today's mail by its time."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, QDateTime, QLocale, QTime
from pytestqt.qtbot import QtBot

from mailapp.store import MailStore, open_store
from mailapp.ui.mailbox.message_list_model import Column, MessageListModel
from mailapp.ui.reading.reading_pane import ReadingPane
from tests.ui.conftest import ACCOUNT_EMAIL, demo_item


@pytest.fixture
def berlin(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The user's zone is Berlin (UTC+1 or +2), never the UTC the test machine runs in."""
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _store_with(path: Path, *dates: datetime) -> tuple[MailStore, str]:
    store = open_store(path)
    account_id = store.create_account(ACCOUNT_EMAIL)
    store.import_messages(
        account_id,
        [
            replace(item, message=replace(item.message, date=when))
            for item, when in ((demo_item(i, subject=f"Mail {i}"), d) for i, d in enumerate(dates))
        ],
    )
    inbox = store.mailbox_by_role(account_id, "inbox")
    assert inbox is not None
    return store, inbox.id


def _list_texts(store: MailStore, inbox: str) -> dict[str, str]:
    model = MessageListModel(store)
    model.set_mailbox(inbox)
    return {
        model.index(row, Column.SUBJECT).data(): model.index(row, Column.DATE).data()
        for row in range(model.rowCount())
    }


def test_reading_pane_shows_the_local_time_in_the_locale_format(
    qtbot: QtBot, tmp_path: Path, berlin: None
) -> None:
    sent = datetime(2026, 7, 14, 12, 5, tzinfo=UTC)  # 14:05 in Berlin (summer time)
    store, inbox = _store_with(tmp_path / "mail.sqlite3", sent)
    (summary,) = store.page(inbox)
    detail = store.message(summary.id)
    assert detail is not None
    pane = ReadingPane(store)
    qtbot.addWidget(pane)
    pane.show_message(detail)

    shown = pane.toPlainText()
    expected = QLocale().toString(
        QDateTime(QDate(2026, 7, 14), QTime(14, 5)), QLocale.FormatType.LongFormat
    )
    assert expected in shown
    assert "14:05" in shown or "2:05" in shown
    assert "12:05" not in shown
    store.close()


def test_the_list_shows_the_time_for_today_and_the_date_otherwise(
    qtbot: QtBot, tmp_path: Path, berlin: None
) -> None:
    now = datetime.now(UTC)
    local_now = now.astimezone()
    # 00:30 Berlin time today: still today in Berlin, yesterday in UTC (a UTC list would
    # show a date, not the time).
    today = local_now.replace(hour=0, minute=30, second=0, microsecond=0)
    if today > local_now:
        pytest.skip("the first half-hour of the day: nothing earlier today exists")
    earlier_this_year = local_now.replace(month=1, day=1, hour=12, minute=0)
    if earlier_this_year.date() == local_now.date():
        pytest.skip("1 January: no earlier day this year")
    last_year = local_now.replace(year=local_now.year - 1, month=3, day=9, hour=12, minute=0)
    store, inbox = _store_with(
        tmp_path / "mail.sqlite3", today.astimezone(UTC), earlier_this_year, last_year
    )
    german = QLocale(QLocale.Language.German, QLocale.Country.Germany)
    previous = QLocale()
    QLocale.setDefault(german)
    try:
        texts = _list_texts(store, inbox)
    finally:
        QLocale.setDefault(previous)
    locale = german

    assert texts["Mail 0"] == locale.toString(QTime(0, 30), QLocale.FormatType.ShortFormat)
    # Older years: the locale's short date, which names the year ("09.03.25" in German).
    assert texts["Mail 2"] == locale.toString(last_year.date(), QLocale.FormatType.ShortFormat)
    assert str(local_now.year) not in texts["Mail 1"]
    assert texts["Mail 1"] == locale.toString(earlier_this_year.date(), "d MMM")  # "1 Jan."
    store.close()
