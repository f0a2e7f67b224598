"""The test Dovecot offers what the upstream connector relies on."""

from __future__ import annotations

import pytest
from imapclient.exceptions import LoginError

from tests.imap.conftest import MailUser
from tests.imap.messages import messages


def test_dovecot_offers_the_extensions_and_folders_the_connector_uses(mail_user: MailUser) -> None:
    with mail_user.connect() as client:
        capabilities = set(client.capabilities())
        folders = {name: flags for flags, _sep, name in client.list_folders()}
    assert {b"CONDSTORE", b"QRESYNC", b"IDLE", b"SPECIAL-USE", b"MOVE", b"UIDPLUS"} <= capabilities
    assert b"\\Sent" in folders["Sent"] and b"\\Trash" in folders["Trash"]
    assert set(folders) == {"INBOX", "Drafts", "Sent", "Trash", "Junk", "Archive"}


def test_each_user_has_a_mailbox_of_its_own(mail_user: MailUser) -> None:
    uids = mail_user.append("INBOX", messages(3))
    assert uids == [1, 2, 3]
    with mail_user.connect() as client:
        assert client.select_folder("INBOX", readonly=True)[b"EXISTS"] == 3


def test_a_wrong_password_is_refused(mail_user: MailUser) -> None:
    wrong = MailUser(mail_user.dovecot, mail_user.name, "not-the-password")
    with pytest.raises(LoginError, match="AUTHENTICATIONFAILED"), wrong.connect():
        pass
