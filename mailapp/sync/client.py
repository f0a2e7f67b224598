"""The HTTP client for the sync server: one method per endpoint, typed errors, checked answers.

Every response is size-capped while it streams in and validated against the shared wire
schemas, so garbage from the server becomes a ProtocolError before anything touches the store.
Every request has a total deadline besides its connect and read timeouts (which restart with
each byte): a server that trickles its answer cannot hold a call longer than that.
The client never retries: the scheduler owns retrying and backoff.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any, TypeVar

import requests
from pydantic import BaseModel, ValidationError

from mailapp import wire
from mailapp.sync.abortable import AbortableSession, Watch
from mailapp.sync.bulk_bodies import BodiesBatch, read_bodies
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
from mailapp.sync.urls import check_url

log = logging.getLogger(__name__)

ModelT = TypeVar("ModelT", bound=BaseModel)
PROBE_TIMEOUT = 2.0
# Total time for one request, answer included. API answers are small (a sync page is capped);
# raw messages, attachments and blobs may be large over a slow link, so they get longer.
TOTAL_TIMEOUT = 120.0
TRANSFER_TIMEOUT = 600.0
_PROBLEM = wire.PROBLEM_BASE


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: rare; the scheduler's own backoff applies


class ApiClient:
    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        allow_insecure_http: bool = False,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        total_timeout: float = TOTAL_TIMEOUT,
        transfer_timeout: float = TRANSFER_TIMEOUT,
        max_response_bytes: int = 64 << 20,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = check_url(base_url, allow_insecure_http=allow_insecure_http)
        self.token = token
        self.timeout = (connect_timeout, read_timeout)
        self.total_timeout = total_timeout
        self.transfer_timeout = transfer_timeout
        self.max_response_bytes = max_response_bytes
        # An AbortableSession can cut a request off, which the total deadline needs; it trusts
        # no environment proxy either (loopback and explicit servers only: tokens stay here).
        self._session = session or AbortableSession()
        self._owns_session = session is None

    @property
    def aborted(self) -> bool:
        """Whether the session was cut off on purpose (work offline, shutdown)."""
        return bool(getattr(self._session, "aborted", False))

    def __repr__(self) -> str:  # never show the token
        return f"ApiClient({self.base_url!r})"

    # -- plumbing ---------------------------------------------------------------------------

    def _deadline(self, seconds: float) -> AbstractContextManager[Watch | None]:
        if isinstance(self._session, AbortableSession):
            return self._session.deadline(seconds)
        return nullcontext()  # a caller's plain session: connect and read timeouts only

    def _send(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        timeout: tuple[float, float] | None = None,
        total: float | None = None,
        auth: bool = True,
        read: Callable[[requests.Response], bytes] | None = None,
    ) -> tuple[requests.Response, bytes]:
        limit = total if total is not None else self.total_timeout
        with self._deadline(limit) as watch:
            try:
                response, body = self._exchange(
                    method, path, json_body, data, headers, params, timeout, auth, read
                )
            except (OfflineError, ProtocolError):
                if watch is not None and watch.expired:
                    raise OfflineError(
                        f"{self.base_url} did not finish answering within {limit:g} s."
                    ) from None
                raise
        self._raise_for_status(response, body)
        return response, body

    def _exchange(
        self,
        method: str,
        path: str,
        json_body: Any,
        data: bytes | None,
        headers: dict[str, str] | None,
        params: dict[str, Any] | None,
        timeout: tuple[float, float] | None,
        auth: bool,
        read: Callable[[requests.Response], bytes] | None = None,
    ) -> tuple[requests.Response, bytes]:
        all_headers = {"Accept": "application/json", **(headers or {})}
        if auth and self.token:
            all_headers["Authorization"] = f"Bearer {self.token}"
        url = f"{self.base_url}{path}"
        try:
            response = self._session.request(
                method,
                url,
                json=json_body,
                data=data,
                headers=all_headers,
                params=params,
                timeout=timeout or self.timeout,
                stream=True,
                allow_redirects=False,
            )
        except requests.exceptions.SSLError as exc:
            text = str(exc)
            if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
                raise TlsError(
                    f"The certificate of {self.base_url} could not be verified, so mailapp did "
                    "not connect. Check the server address, or ask its administrator."
                ) from None
            raise OfflineError(
                f"Cannot reach {self.base_url} (secure connection failed)."
            ) from None
        except requests.exceptions.Timeout:
            raise OfflineError(f"{self.base_url} did not answer in time.") from None
        except requests.exceptions.ConnectionError:
            raise OfflineError(f"Cannot reach {self.base_url}; you seem to be offline.") from None
        except requests.exceptions.RequestException as exc:
            raise OfflineError(f"Cannot reach {self.base_url} ({type(exc).__name__}).") from None
        with response:
            body = (read or self._read_capped)(response)
        return response, body

    def _read_capped(self, response: requests.Response) -> bytes:
        declared = response.headers.get("Content-Length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_response_bytes:
            raise ProtocolError(
                f"The server sent an answer of {int(declared)} bytes, more than mailapp accepts."
            )
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_content(chunk_size=65536):
                size += len(chunk)
                if size > self.max_response_bytes:
                    raise ProtocolError("The server sent an answer larger than mailapp accepts.")
                chunks.append(chunk)
        except requests.exceptions.Timeout:
            raise OfflineError(f"{self.base_url} stopped answering.") from None
        except (
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError,
        ):
            raise ProtocolError(
                "The server's answer was cut off or could not be decoded."
            ) from None
        except requests.exceptions.ConnectionError:
            raise OfflineError(f"The connection to {self.base_url} broke.") from None
        return b"".join(chunks)

    def _problem_detail(self, body: bytes) -> tuple[str, str]:
        try:
            problem = wire.Problem.model_validate_json(body)
        except ValidationError:
            return "", ""
        name = problem.type.removeprefix(_PROBLEM)
        return name, problem.detail or problem.title

    def _raise_for_status(self, response: requests.Response, body: bytes) -> None:
        status = response.status_code
        if status < 300 or status == 304:
            return
        name, detail = self._problem_detail(body)
        if status == 401:
            raise AuthError("The server did not accept your sign-in; sign in again.")
        if status == 410:
            raise ResyncRequired(
                "The server cannot list the changes since the last sync; rebuilding the copy.",
                status,
                name,
            )
        if status == 429 or status >= 500:
            raise TransientError(
                f"The server is busy or failing (HTTP {status}); mailapp will try again.",
                _retry_after(response),
            )
        if 300 <= status < 400:
            raise ProtocolError(f"The server answered with an unexpected redirect (HTTP {status}).")
        raise PermanentError(
            f"The server refused the request (HTTP {status}{': ' + detail if detail else ''}).",
            status,
            name,
        )

    def _parse(self, model: type[ModelT], body: bytes) -> ModelT:
        try:
            return wire.validate_json(model, body)
        except ValidationError as exc:
            if exc.error_count() == 1 and exc.errors()[0]["type"] == "json_invalid":
                raise ProtocolError("The server's answer is not valid JSON.") from None
            log.warning("invalid %s from server: %s", model.__name__, exc.error_count())
            raise ProtocolError(
                f"The server's answer does not match the protocol ({model.__name__})."
            ) from None

    def _get(self, model: type[ModelT], path: str, **params: Any) -> ModelT:
        _response, body = self._send("GET", path, params=params or None)
        return self._parse(model, body)

    # -- session ----------------------------------------------------------------------------

    def login(self, username: str, password: str) -> wire.LoginResponse:
        request = wire.LoginRequest(name=username, password=password)
        try:
            _response, body = self._send(
                "POST", "/v1/session", json_body=request.model_dump(by_alias=True), auth=False
            )
        except AuthError:
            raise AuthError("The user name or password is wrong.") from None
        answer = self._parse(wire.LoginResponse, body)
        self.token = answer.token
        return answer

    def logout(self) -> None:
        self._send("DELETE", "/v1/session")
        self.token = None

    def session_info(self) -> wire.SessionInfo:
        return self._get(wire.SessionInfo, "/v1/session")

    def probe(self) -> bool:
        """True when the server answered at all (any HTTP status); cheap, short timeout.

        Asks the health check, which needs no sign-in: probing an authenticated resource
        logged a refused request on the server for every probe. A server older than the health
        check answers 404, which still says it is there.
        """
        try:
            self._send(
                "GET",
                "/v1/health",
                timeout=(PROBE_TIMEOUT, PROBE_TIMEOUT),
                total=2 * PROBE_TIMEOUT,
                auth=False,
            )
        except OfflineError:
            return False
        except SyncError:
            return True
        return True

    def upstream(self) -> wire.UpstreamLink | None:
        """The account's link to an IMAP mailbox it already had; None from a server too old
        to have the resource (it then fronts no IMAP mailbox either)."""
        try:
            return self._get(wire.UpstreamLink, "/v1/upstream")
        except PermanentError as exc:
            if exc.status == 404:
                return None
            raise

    # -- sync -------------------------------------------------------------------------------

    def sync(self, request: wire.SyncRequest) -> wire.SyncResponse:
        _response, body = self._send(
            "POST", "/v1/sync", json_body=request.model_dump(mode="json", by_alias=True)
        )
        answer = self._parse(wire.SyncResponse, body)
        if len(answer.results) != len(request.mutations) or any(
            result.mutation_id != mutation.mutation_id
            for result, mutation in zip(answer.results, request.mutations, strict=True)
        ):
            raise ProtocolError("The server's results do not match the changes sent.")
        return answer

    def changes(self, since: str | None, limit: int) -> wire.Changes:
        return self.parse_changes(self.changes_text(since, limit))

    def changes_text(self, since: str | None, limit: int) -> bytes:
        """A change-feed page as the server sent it, unparsed (the feed reads the next page
        ahead on a helper thread that only waits for the network; see mailapp.sync.pull)."""
        params = {"since": since or "0", "limit": limit}
        return self._send("GET", "/v1/changes", params=params)[1]

    def parse_changes(self, body: bytes) -> wire.Changes:
        return self._parse(wire.Changes, body)

    # -- resources --------------------------------------------------------------------------

    def mailboxes(self) -> wire.MailboxList:
        return self._get(wire.MailboxList, "/v1/mailboxes")

    def message(self, email_id: str) -> wire.EmailRecord:
        return self._get(wire.EmailRecord, f"/v1/messages/{email_id}")

    def message_body(self, email_id: str) -> wire.MessageBody:
        return self._get(wire.MessageBody, f"/v1/messages/{email_id}/body")

    def message_bodies(self, ids: list[str]) -> BodiesBatch:
        """Bodies of up to wire.MAX_BODIES_PER_REQUEST messages in one streamed request.

        A connection that breaks mid-answer is not raised once some bodies arrived: the batch
        keeps them and carries the error, so the caller stores those and asks only for the rest.
        """

        def read(response: requests.Response) -> bytes:
            if response.status_code != 200:
                return self._read_capped(response)
            read_bodies(response, batch, self.max_response_bytes, self.base_url)
            return b""

        batch = BodiesBatch()
        request = wire.BodiesRequest(ids=ids).model_dump(mode="json", by_alias=True)
        try:
            self._send(
                "POST", "/v1/bodies", json_body=request, total=self.transfer_timeout, read=read
            )
        except (OfflineError, ProtocolError) as exc:
            if not batch.bodies:
                raise
            batch.error = exc
        if batch.error is not None and not batch.bodies:
            raise batch.error  # nothing usable arrived: an error like any other
        return batch

    def raw_message(self, email_id: str) -> bytes:
        """The message as received (message/rfc822), for its source or a saved .eml."""
        return self._send("GET", f"/v1/messages/{email_id}/raw", total=self.transfer_timeout)[1]

    def attachment(self, email_id: str, part_id: str) -> bytes:
        path = f"/v1/messages/{email_id}/attachments/{part_id}"
        return self._send("GET", path, total=self.transfer_timeout)[1]

    def upload_blob(self, data: bytes, content_type: str) -> wire.BlobInfo:
        _response, body = self._send(
            "POST",
            "/v1/blobs",
            data=data,
            headers={"Content-Type": content_type},
            total=self.transfer_timeout,
        )
        return self._parse(wire.BlobInfo, body)

    def blob(self, blob_id: str) -> bytes:
        return self._send("GET", f"/v1/blobs/{blob_id}", total=self.transfer_timeout)[1]

    def close(self) -> None:
        if self._owns_session:
            self._session.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
