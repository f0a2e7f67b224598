"""A connection cut mid-FETCH: the link says so, nothing half-stored, the next sync resumes."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from mailapp.server.db import session_scope
from mailapp.server.upstream.models import UpstreamAccount
from mailapp.server.upstream.run import sync_link
from mailapp.server.upstream.syncer import SyncLimits
from tests.imap.conftest import MailUser
from tests.imap.helpers import link_user
from tests.imap.messages import messages
from tests.support.tcpcut import cutting_proxy


def test_a_connection_cut_mid_fetch_resumes_without_duplicates(
    engine: Engine, mail_user: MailUser
) -> None:
    mail_user.append("INBOX", messages(120))
    linked = link_user(engine, mail_user)
    limits = SyncLimits(header_batch=40, body_batch=30)
    with cutting_proxy(mail_user.port) as proxy:
        with session_scope(engine) as session:
            row = session.get(UpstreamAccount, linked.upstream_id)
            assert row is not None
            row.port = proxy.port
        # Past the greeting, the folder list and the first batches of whole messages.
        proxy.cut_after = 150_000

        assert sync_link(engine, linked.key, linked.upstream_id, limits=limits) is None

        assert proxy.cuts == 1
        row = linked.link_row()
        assert row.state == "unreachable"
        assert "connection" in (row.last_error or "") and "lost" in (row.last_error or "")
        # The batches committed before the cut, each message complete; nothing half-stored.
        before = len(linked.emails())
        assert 0 < before < 120
        assert linked.blob_count() == before

        proxy.cut_after = None
        stats = sync_link(engine, linked.key, linked.upstream_id, limits=limits)

    assert stats is not None and stats.headers == stats.bodies == 120 - before  # none twice
    assert len(linked.emails()) == 120
    assert len({e.message_id for e in linked.emails()}) == 120
    assert linked.blob_count() == 120
    assert linked.link_row().state == "ok"
