"""A throwaway Dovecot IMAP server on a loopback port, for the upstream-connector tests.

Debian's `dovecot-imapd` (installed by `scripts/dev.sh`) is started in the foreground with a
configuration written into a temporary folder: its own base/state directories, log file,
passwd-file users with plain-text passwords, one Maildir per user, a self-signed certificate for
implicit TLS and STARTTLS, plain-text auth allowed (it listens on 127.0.0.1 only) and the
special-use folders of a typical provider.

Dovecot runs as the user running the tests, so nothing needs root. When the tests run as root
(CI containers), Dovecot is started as its own unprivileged `dovecot` user instead: the temporary
folder is handed to that user, and the passwd-file maps every mail user onto it. Dovecot refuses
mail processes with uid 0, and this way the setup is the same as for a normal user.

Everything IMAP 4rev1 servers commonly offer is on: CONDSTORE, QRESYNC, IDLE, SPECIAL-USE, MOVE,
UIDPLUS (Dovecot advertises them by default).
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

START_TIMEOUT = 20.0
SEARCH_PATH = "/usr/sbin:/usr/bin:/sbin:/bin:/usr/local/sbin"

CONFIG = """\
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
info_log_path = {base}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{base}/cert.pem
ssl_key = <{base}/key.pem
# Loopback only, throwaway users: plain-text logins without TLS are what the tests need.
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
first_valid_uid = {uid}
last_valid_uid = {uid}
first_valid_gid = {gid}
last_valid_gid = {gid}
mail_location = maildir:{base}/mail/%u/Maildir
mail_fsync = never
maildir_very_dirty_syncs = yes
# Quota (a user's limit comes from its passwd-file: `add_user(..., quota_bytes=N)`) and ACLs
# from one global file (`set_acl()`): the "mailbox full" and "read-only folder" cases.
mail_plugins = $mail_plugins quota acl
plugin {{
  quota = maildir:User quota
  quota_rule = *:storage=0
  acl = vfile:{base}/global-acl:cache_secs=0
  acl_globals_only = yes
}}
login_greeting = mailapp test dovecot ready
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {base}/users/%u
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={base}/mail/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Drafts {{
    special_use = \\Drafts
    auto = subscribe
  }}
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
  mailbox Trash {{
    special_use = \\Trash
    auto = subscribe
  }}
  mailbox Junk {{
    special_use = \\Junk
    auto = subscribe
  }}
  mailbox Archive {{
    special_use = \\Archive
    auto = subscribe
  }}
}}
protocol imap {{
  mail_max_userip_connections = 200
  mail_plugins = $mail_plugins imap_quota imap_acl
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
  }}
  # One process per connection is Dovecot's default; keep a few ready for speed.
  process_min_avail = 1
}}
service anvil {{
  chroot =
}}
service auth {{
  user = {user}
}}
service auth-worker {{
  user = {user}
}}
service stats {{
  chroot =
}}
service imap {{
  process_limit = 200
}}
"""


class DovecotUnavailable(RuntimeError):
    """Dovecot is not installed or does not start; the message says what to do."""


@dataclass
class Dovecot:
    """A running Dovecot: `host`, `port` (plain, STARTTLS offered), `tls_port` (implicit TLS),
    `ca_file` (the self-signed certificate, valid for the name `localhost` only) and
    `add_user()`."""

    base: Path
    host: str
    port: int
    tls_port: int
    process: subprocess.Popen[bytes]
    uid: int
    gid: int
    users: dict[str, str] = field(default_factory=dict)

    def add_user(self, name: str, password: str, *, quota_bytes: int | None = None) -> None:
        """Add a mail user, with a storage quota when `quota_bytes` is given.

        Each user has a passwd-file of its own: Dovecot checks a changed file at most once a
        second, so one shared file would miss a user added right after another (and for the
        same reason a user's password is not changed here).
        """
        if name in self.users:
            raise ValueError(f"mail user {name!r} exists already")
        if any(c in name + password for c in ":/\n") or name.startswith("."):
            raise ValueError("no ':', '/' or newline in test user names and passwords")
        self.users[name] = password
        path = self.base / "users" / name
        tmp = path.with_suffix(".tmp")
        extra = f"userdb_quota_rule=*:storage={quota_bytes}B" if quota_bytes is not None else ""
        tmp.write_text(f"{name}:{{PLAIN}}{password}::::::{extra}\n")
        _give(tmp, self.uid, self.gid)
        tmp.replace(path)

    def set_acl(self, user: str, folder: str, rights: str | None) -> None:
        """Give `user` only `rights` (Dovecot's letters, e.g. "lr": read-only) on `folder`, or
        its full rights again with None. Read at once (no ACL cache)."""
        path = self.base / "global-acl"
        lines = [
            line
            for line in (path.read_text().splitlines() if path.exists() else [])
            if not line.startswith(f"{folder} user={user} ")
        ]
        if rights is not None:
            lines.append(f"{folder} user={user} {rights}")
        tmp = path.with_suffix(".tmp")
        tmp.write_text("".join(f"{line}\n" for line in lines))
        _give(tmp, self.uid, self.gid)
        tmp.replace(path)

    @property
    def ca_file(self) -> Path:
        return self.base / "cert.pem"

    def maildir(self, name: str) -> Path:
        return self.base / "mail" / name / "Maildir"

    def log_text(self) -> str:
        path = self.base / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""


def dovecot_binary() -> str:
    found = shutil.which("dovecot", path=SEARCH_PATH + ":" + os.environ.get("PATH", ""))
    if not found:
        raise DovecotUnavailable(
            "Dovecot is not installed: run scripts/dev.sh setup, or "
            "`apt-get install dovecot-imapd` (the IMAP tests need it)"
        )
    return found


def _identity() -> tuple[str, str, int, int]:
    """(user, group, uid, gid) Dovecot runs as."""
    if os.geteuid() != 0:
        entry = pwd.getpwuid(os.geteuid())
        return entry.pw_name, grp.getgrgid(os.getegid()).gr_name, entry.pw_uid, os.getegid()
    try:
        entry = pwd.getpwnam("dovecot")
    except KeyError:
        raise DovecotUnavailable("running as root, but there is no 'dovecot' user") from None
    return entry.pw_name, grp.getgrgid(entry.pw_gid).gr_name, entry.pw_uid, entry.pw_gid


def _give(path: Path, uid: int, gid: int) -> None:
    if os.geteuid() == 0:
        os.chown(path, uid, gid)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _greets(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as sock:
            sock.settimeout(2.0)
            return sock.recv(200).startswith(b"* OK")
    except OSError:
        return False


@contextlib.contextmanager
def run_dovecot() -> Iterator[Dovecot]:
    """Start Dovecot with its state in a new temporary folder; stop it and remove the folder
    when the block ends."""
    binary = dovecot_binary()
    user, group, uid, gid = _identity()
    # Directly under the system temp folder (world-traversable), so Dovecot's own user reaches
    # it when the tests run as root.
    base = Path(tempfile.mkdtemp(prefix="mailapp-dovecot-"))
    try:
        for sub in ("run", "state", "mail", "users"):
            (base / sub).mkdir()
        for path in (base, *(base / sub for sub in ("run", "state", "mail", "users"))):
            _give(path, uid, gid)
        _write_certificate(base)
        (base / "global-acl").write_text("")  # must exist at start to be read as a file
        _give(base / "global-acl", uid, gid)
        for name in ("cert.pem", "key.pem"):
            _give(base / name, uid, gid)
        with _start(binary, base, user, group, uid, gid) as server:
            yield server
    finally:
        shutil.rmtree(base, ignore_errors=True)


@contextlib.contextmanager
def _start(binary: str, base: Path, user: str, group: str, uid: int, gid: int) -> Iterator[Dovecot]:
    last_error = ""
    for _attempt in range(3):  # another process may take the free port before Dovecot does
        port, tls_port = _free_port(), _free_port()
        config = base / "dovecot.conf"
        config.write_text(
            CONFIG.format(
                base=base, user=user, group=group, uid=uid, gid=gid, port=port, tls_port=tls_port
            )
        )
        _give(config, uid, gid)
        process = subprocess.Popen(
            [binary, "-F", "-c", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **_drop_privileges(uid, gid),
        )
        server = Dovecot(base, "127.0.0.1", port, tls_port, process, uid, gid)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and process.poll() is None and not _greets(port):
            time.sleep(0.05)
        if process.poll() is None and _greets(port):
            try:
                yield server
            finally:
                _stop(process)
            return
        _stop(process)
        output = process.stdout.read().decode(errors="replace") if process.stdout else ""
        last_error = (output + server.log_text()).strip()[-2000:]
    raise DovecotUnavailable(f"Dovecot did not start:\n{last_error}")


def _write_certificate(base: Path) -> None:
    """A self-signed certificate for `localhost` only (so 127.0.0.1 is a name mismatch)."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mailapp test dovecot")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (base / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path = base / "key.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)


def _drop_privileges(uid: int, gid: int) -> dict[str, object]:
    if os.geteuid() != 0:
        return {}
    return {"user": uid, "group": gid, "extra_groups": []}


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the master and every child it started (they share its process group)."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    # Children may outlive the master for a moment; they are in the same group.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    if process.stdout is not None:
        process.stdout.close()
