"""Submissions (read-only over REST; created and cancelled by mutations in POST /v1/sync)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from mailapp.server.db import current_modseq, session_scope
from mailapp.server.models import Submission
from mailapp.server.routes.common import owned
from mailapp.server.routes.deps import AuthDep, EngineDep, PathId
from mailapp.server.routes.records import submission_model
from mailapp.server.routes.responses import errors
from mailapp.wire import SubmissionList, SubmissionRecord

router = APIRouter(prefix="/v1/submissions", tags=["submissions"])


@router.get("", responses=errors(401))
def list_submissions(auth: AuthDep, engine: EngineDep) -> SubmissionList:
    with session_scope(engine, write=False) as session:
        state = current_modseq(session, auth.account_id)
        rows = session.scalars(
            select(Submission)
            .where(
                Submission.account_id == auth.account_id,
                Submission.destroyed_modseq.is_(None),
                Submission.updated_modseq <= state,
            )
            .order_by(Submission.send_at)
        ).all()
        return SubmissionList(state=str(state), items=[submission_model(row) for row in rows])


@router.get("/{submission_id}", responses=errors(401, 404))
def get_submission(submission_id: PathId, auth: AuthDep, engine: EngineDep) -> SubmissionRecord:
    with session_scope(engine, write=False) as session:
        row = owned(session, Submission, submission_id, auth.account_id, "submission")
        return submission_model(row)
