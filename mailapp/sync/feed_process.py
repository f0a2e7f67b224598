"""A big first sync's change feed, pulled and applied in a child process (issue 11: no UI stall).

In the window's process the sync thread and the UI thread share one GIL. Measured with
tests/bench/bench_ui_stalls.py's GIL probe, the long UI stalls while a first sync applies a big
mailbox are not long C calls (a 200-record page validates in ~2 ms, between Python callbacks
that let the GIL go): they are the sync thread preempted by the kernel while it holds the GIL
(it ran 2-11 % of those waits on a machine at load 40), and the UI thread waits until the
kernel runs it again. No switch interval or priority fixes that in one process; a process of
its own (Mailspring's mailsync model) has its own GIL. So a first sync with more than
CHILD_OVER changes on the server runs the feed in `mailapp sync --feed-child`; the sync thread
only waits on its pipe (no GIL held), and passes each page's change set and progress on.

The protocol is JSON lines on the child's stdout: one per applied page
(`{"state", "pulled", "changes"}`), then `{"done": true}`, or `{"error", "message", ...}`.
The token (and the state to go on from, when a first sync was cut off) comes on stdin (never
the command line, which `ps` shows); the child exits when stdin closes, so it never outlives
the window, and the sync thread kills it on abort or when it falls silent for longer than a
request may take (SILENT_S).
Smaller first syncs and every later cycle stay in the thread: a child's start-up (imports,
store open) is 0.40-0.45 s of CPU, more than a small pull's stalls are worth; past it the
child costs per message what the thread does (README, "Tests and benchmarks").
"""

from __future__ import annotations

import json
import logging
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailapp.store import ChangeSet
from mailapp.sync.client import TOTAL_TIMEOUT
from mailapp.sync.cycle import CycleReport, Progress, record_count
from mailapp.sync.errors import (
    AuthError,
    OfflineError,
    PermanentError,
    ProtocolError,
    ResyncRequired,
    SyncError,
    TlsError,
    TransientError,
)
from mailapp.wire import state_modseq

if TYPE_CHECKING:
    from mailapp.store import MailStore
    from mailapp.sync.engine import SyncEngine

log = logging.getLogger(__name__)

# Changes on the server (its state) from which a first sync runs in a child process.
CHILD_OVER = 5000
POLL_S = 0.2  # how often the waiting sync thread looks whether the sync was aborted
# How long the child waits for another writer to open the store: as long as the sync thread's
# own writes wait for the lock (the store engine's busy timeout).
OPEN_PATIENCE_S = 5.0
# A child silent this long is stuck outside any request (stopped, a lock, a bug): its requests
# end within their deadline (TOTAL_TIMEOUT) and a page applies in seconds, so it is given up
# (killed) and the sync retried, rather than the sync thread waiting on its pipe for ever.
SILENT_S = TOTAL_TIMEOUT + 60.0
ERRORS: dict[str, type[SyncError]] = {
    kind.__name__: kind
    for kind in (AuthError, OfflineError, ProtocolError, TlsError, TransientError, SyncError)
}


def child_command(store_path: Path, account_id: str, page_size: int) -> list[str]:
    """`mailapp sync --feed-child …`, from the frozen app or from this Python."""
    program = (
        [sys.executable] if getattr(sys, "frozen", False) else [sys.executable, "-m", "mailapp"]
    )
    return [
        *program,
        "sync",
        "--profile",
        str(store_path.parent),
        "--feed-child",
        account_id,
        "--store",
        str(store_path),
        "--page-size",
        str(page_size),
    ]


def pull_in_child(
    engine: SyncEngine,
    report: CycleReport,
    progress: Progress | None,
    target: int,
    since: str | None = None,
) -> bool:
    """The first sync's feed from `since` (None: from state 0; else the state a first sync
    was cut off at), applied by a child process; this thread relays its change sets to the
    store's subscribers and its progress, and raises its errors. False when no child could be
    started or it ended without a line (the caller pulls in its thread)."""
    command = child_command(engine.store.path, engine.account_id, engine.page_size)
    env = dict(os.environ)
    here = Path(__file__).resolve().parents[2]
    # `-m mailapp` must find this very package: a source tree is named on the path; an
    # installed one is found anyway, and its site-packages named there would come before the
    # standard library (a backport there shadowing a stdlib module would break the child).
    if not getattr(sys, "frozen", False) and here.name not in ("site-packages", "dist-packages"):
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(here), env.get("PYTHONPATH")]))
    try:
        started = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    except OSError as exc:
        log.warning("the sync process could not start (%s); syncing in this thread", exc)
        return False
    with started as child:
        assert child.stdin is not None and child.stdout is not None
        try:
            lines = (engine.client.base_url, engine.client.token or "", since or "")
            child.stdin.write("".join(f"{line}\n" for line in lines).encode())
            child.stdin.flush()
            last = _relay(engine, child.stdout.fileno(), report, progress, target)
        finally:
            if child.poll() is None:
                child.kill()  # aborted, or this thread failed: the child must not go on
            child.wait()
    if not last:
        # Not a word, not even an error: it could not run `mailapp sync` (an interpreter or a
        # bundle without it, a crash while importing). Starting it again next cycle would end
        # the same way, and the account would never be synced.
        log.warning(
            "the sync process said nothing (exit %s); syncing in this thread", child.returncode
        )
        return False
    if "error" in last:
        kind = str(last["error"])
        message = str(last.get("message") or "The sync failed.")
        if kind in ("ResyncRequired", "PermanentError"):
            error = ResyncRequired if kind == "ResyncRequired" else PermanentError
            raise error(message, int(last.get("status") or 400))
        if kind == "TransientError":
            # The server's Retry-After (429, 503): the scheduler waits that long, as it does
            # after the thread's own requests, before starting another child.
            retry_after = last.get("retryAfter")
            raise TransientError(message, float(retry_after) if retry_after is not None else None)
        raise ERRORS.get(kind, SyncError)(message)
    if not last.get("done"):
        raise TransientError("The sync process ended before the sync did; it is tried again.")
    return True


def _relay(
    engine: SyncEngine, fd: int, report: CycleReport, progress: Progress | None, target: int
) -> dict[str, Any]:
    """Read the child's lines until it closes its stdout; the last line read."""
    last: dict[str, Any] = {}
    pending = b""
    heard = time.monotonic()
    # A thread reads the pipe and this one waits on a queue with a timeout, to look at the
    # abort flag meanwhile: select() would do it in one thread on POSIX, but on Windows it
    # takes sockets only, and every big first sync there would fail.
    chunks: queue.Queue[bytes] = queue.Queue()
    threading.Thread(target=_read_into, args=(fd, chunks), daemon=True).start()
    while True:
        if engine.client.aborted:
            raise OfflineError("The sync was stopped.")
        try:
            chunk = chunks.get(timeout=POLL_S)
        except queue.Empty:
            if time.monotonic() - heard > SILENT_S:
                message = "The sync process stopped answering; it is tried again."
                raise TransientError(message) from None
            continue
        heard = time.monotonic()
        if not chunk:
            return last
        *lines, pending = (pending + chunk).split(b"\n")
        for line in lines:
            try:
                last = json.loads(line)
            except ValueError:
                continue  # not ours (a library printing): the end says how it went
            if "state" in last:
                _page_applied(engine, last, report, progress, target)


def _read_into(fd: int, chunks: queue.Queue[bytes]) -> None:
    """The child's output as it comes, then b"" at its end (the child exited or was killed)."""
    while True:
        try:
            chunk = os.read(fd, 1 << 16)
        except OSError:  # closed under us: this sync is over either way
            chunk = b""
        chunks.put(chunk)
        if not chunk:
            return


def _page_applied(
    engine: SyncEngine,
    page: dict[str, Any],
    report: CycleReport,
    progress: Progress | None,
    target: int,
) -> None:
    changes = page.get("changes")
    if changes:
        # The child wrote through its own store; the views listen to this process's.
        engine.store._notify(
            ChangeSet(
                messages=frozenset(changes["messages"]),
                mailboxes=frozenset(changes["mailboxes"]),
                drafts=frozenset(changes["drafts"]),
                outbox=bool(changes["outbox"]),
            )
        )
    engine._applied_state = str(page["state"])
    report.pulled += int(page["pulled"])
    if progress is not None and target:
        progress(min(state_modseq(str(page["state"])), target), target)


# -- the child -------------------------------------------------------------------------------


def child_main(store_path: Path, account_id: str, page_size: int) -> int:
    """`mailapp sync --feed-child`: pull the feed from state 0 into the store, say so per page."""
    from mailapp.sync.client import ApiClient
    from mailapp.sync.engine import SyncEngine

    # Not niced, though it is background work: it holds the store's write lock while it
    # applies a page, and the window's UI thread waits for that lock when it writes (a message
    # marked read as it opens). At nice 10 it was preempted holding the lock: with one busy
    # process on its CPU the window's writes waited up to 1.2-1.5 s (0.24 s at the window's
    # priority), past the busy timeout (5 s) they fail; its gain on stalls was within the noise.
    base_url = sys.stdin.readline().strip()
    token = sys.stdin.readline().strip()
    since = sys.stdin.readline().strip() or None
    # The window closed or died: stdin reaches its end, and nothing here must go on writing.
    threading.Thread(target=_exit_at_end_of_stdin, daemon=True).start()

    def say(line: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()

    try:
        with _open_store(store_path) as store:
            seen: list[ChangeSet] = []
            store.subscribe(seen.append)
            # The URL was checked by the window's client (plain http only where allowed).
            with ApiClient(base_url, token=token, allow_insecure_http=True) as client:
                engine = SyncEngine(store, client, account_id, page_size=page_size)
                # An account's first sync brings its whole mailbox: none of it is announced.
                for changes in engine.applied_pages(since, announce=False):
                    touched = ChangeSet()
                    for changeset in seen:
                        touched = touched.merged(changeset)
                    seen.clear()
                    pulled = record_count(changes)
                    say({"state": changes.new_state, "pulled": pulled, "changes": _wire(touched)})
    except SyncError as exc:
        say({"error": type(exc).__name__, "message": exc.user_message, **_status(exc)})
        return 1
    except Exception as exc:  # the store's errors (disk full, ...) carry a sentence too
        message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        say({"error": "SyncError", "message": f"The sync process failed: {message}"})
        return 1
    say({"done": True})
    return 0


def _open_store(store_path: Path) -> MailStore:
    """The window's store. open_store gives up after a second of another writer (at start-up
    that is another program holding the file, worth saying at once); here the writer is most
    likely the window itself (the user's action, another account's page), which its own sync
    thread would have waited out, rather than fail the sync with "in use by another program"."""
    from mailapp.store import StoreLockedError, open_store

    deadline = time.monotonic() + OPEN_PATIENCE_S
    while True:
        try:
            return open_store(store_path)
        except StoreLockedError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.1)  # open_store waited a second already; this only bounds a quick one


def _exit_at_end_of_stdin() -> None:
    sys.stdin.read()
    os._exit(0)


def _status(exc: SyncError) -> dict[str, Any]:
    """What the window needs to raise the same error: a refusal's status, a busy server's
    Retry-After."""
    if isinstance(exc, PermanentError):
        return {"status": exc.status}
    if isinstance(exc, TransientError) and exc.retry_after is not None:
        return {"retryAfter": exc.retry_after}
    return {}


def _wire(changes: ChangeSet) -> dict[str, Any]:
    return {
        "messages": sorted(changes.messages),
        "mailboxes": sorted(changes.mailboxes),
        "drafts": sorted(changes.drafts),
        "outbox": changes.outbox,
    }
