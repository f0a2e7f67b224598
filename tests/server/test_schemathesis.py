"""schemathesis against the live server's /openapi.json with ALL its checks, every phase
(examples, coverage, fuzzing, stateful) and both generation modes: no 5xx, every response as
documented (status, content type, headers, body), schema-valid requests accepted and
schema-violating ones refused, 405 with a true Allow, auth never ignored.

Bounded for the default suite (a few examples per operation); `-m soak` runs many more.

Where a schema-valid request is still refused, it is for a reason JSON Schema cannot express,
and the config below names each one:
- 410 on /v1/changes and /v1/sync: a state the server never issued (newer than its own);
- 412 on conditional writes: an ETag that is not the record's current one;
- 428 on PUT /v1/drafts: neither `If-None-Match: *` (create) nor `If-Match` (replace) given;
- 400 on a mailbox's message list: `after` is an opaque cursor only the server can make.
A missing required `If-Match` answers 428 (RFC 6585), which the missing-header check is told.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.server.conftest import RunningServer, User


@pytest.fixture
def server(shared_server: RunningServer) -> RunningServer:
    """Tests here only touch their own users: share one server per module."""
    return shared_server


EXAMPLE = EmailMessage()
EXAMPLE["From"] = "Ann <ann@example.net>"
EXAMPLE["Subject"] = "something to find"
EXAMPLE.set_content("text")
EXAMPLE.add_attachment(b"data", maintype="application", subtype="pdf", filename="a.pdf")
ST = Path(sys.executable).with_name("st")


def real_records(server: RunningServer, user: User) -> dict[str, str]:
    email_id = server.deliver(user.account_id, EXAMPLE.as_bytes())
    draft_id, submission_id = str(uuid.uuid4()), str(uuid.uuid4())
    to = {"old": None, "new": [{"email": "bob@example.org"}]}
    pushed = user.client.post(
        "/v1/sync",
        json={
            "clientId": "fuzz",
            "mutations": [
                {
                    "mutationId": 1,
                    "type": "draft.upsert",
                    "args": {"draftId": draft_id, "fields": {"to": to}},
                },
                {
                    "mutationId": 2,
                    "type": "submission.create",
                    "args": {
                        "submissionId": submission_id,
                        "draftId": draft_id,
                        "sendAt": "2099-01-01T00:00:00Z",
                    },
                },
            ],
        },
    ).json()
    assert [r["status"] for r in pushed["results"]] == ["applied", "applied"]
    record = user.client.get(f"/v1/messages/{email_id}").json()
    blob = user.client.post("/v1/blobs", content=b"x").json()
    return {
        "email_id": email_id,
        "mailbox_id": record["mailboxId"],
        "draft_id": draft_id,
        "submission_id": submission_id,
        "blob_id": blob["blobId"],
        "part_id": record["attachments"][0]["partId"],
    }


def _operation(path: str, method: str | None, statuses: list[str]) -> str:
    lines = ["[[operations]]", f"include-path = {json.dumps(path)}"]
    if method:
        lines.append(f"include-method = {json.dumps(method)}")
    lines.append(f"checks.positive_data_acceptance.expected-statuses = {json.dumps(statuses)}")
    return "\n".join(lines) + "\n"


ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429"]


def st_config(token: str, ids: dict[str, str]) -> str:
    """schemathesis.toml: the token, real ids to mix in, and the refusals named above."""
    # Half the cases address existing records, so 200 answers get validated too.
    real = [
        f"[dictionaries.{name}]\nvalues = [{json.dumps(value)}]\n" for name, value in ids.items()
    ]
    real.append(
        "[parameters]\n"
        + "".join(
            f'"path.{name}" = {{ dictionary = "{name}", probability = 0.5 }}\n' for name in ids
        )
    )
    parts = [
        *real,
        '[checks.missing_required_header]\nexpected-statuses = ["400", "406", "422", "428"]\n',
        f"[headers]\nAuthorization = {json.dumps('Bearer ' + token)}\n",
        # Logging out would end the run; the event stream never ends (docs/protocol.md).
        '[[operations]]\ninclude-operation-id = "logout_v1_session_delete"\nenabled = false\n',
        _operation("/v1/changes", None, [*ACCEPTED, "410"]),
        _operation("/v1/sync", None, [*ACCEPTED, "410"]),
        _operation("/v1/mailboxes/{mailbox_id}/messages", None, [*ACCEPTED, "400"]),
        _operation("/v1/drafts/{draft_id}", "PUT", [*ACCEPTED, "412", "428"]),
    ]
    for path in ("/v1/drafts/{draft_id}", "/v1/messages/{email_id}"):
        for method in ("PATCH", "DELETE"):
            parts.append(_operation(path, method, [*ACCEPTED, "412"]))
    return "\n".join(parts)


def run_schemathesis(
    server: RunningServer, user: User, tmp_path: Path, max_examples: int
) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "schemathesis.toml"
    config.write_text(st_config(user.token, real_records(server, user)))
    env = {**os.environ, "SCHEMATHESIS_HOOKS": ""}
    command = [str(ST), "--config-file", str(config), "run", f"{server.url}/openapi.json"]
    command += ["--checks", "all", "--max-examples", str(max_examples), "--workers", "1"]
    command += ["--no-color", "--seed", "1", "--suppress-health-check", "all"]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=1200, env=env, cwd=tmp_path
    )


@pytest.mark.slow
def test_all_checks_pass_on_every_operation(server: RunningServer, tmp_path: Path) -> None:
    result = run_schemathesis(server, server.new_user("fuzz"), tmp_path, max_examples=5)
    summary = result.stdout[result.stdout.find("SUMMARY") :]
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    selected = re.search(r"Selected: (\d+)/(\d+)", summary)
    tested = re.search(r"Tested: (\d+)", summary)
    assert selected and tested, summary
    # Every operation but logout ran; all four phases but the (example-less) first passed.
    assert int(tested.group(1)) == int(selected.group(1)) == int(selected.group(2)) - 1 >= 20
    for phase in ("Coverage", "Fuzzing", "Stateful"):
        assert f"✅ {phase}" in summary, summary
    print(summary)


@pytest.mark.soak
def test_all_checks_pass_on_a_long_run(server: RunningServer, tmp_path: Path) -> None:
    result = run_schemathesis(server, server.new_user("fuzz"), tmp_path, max_examples=200)
    assert result.returncode == 0, result.stdout[-10000:] + result.stderr[-2000:]
