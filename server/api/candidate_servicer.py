"""``hirelens.v1.CandidateService``: erasure on request (GDPR art. 17, PIPL art. 47), with a receipt."""

from __future__ import annotations

import grpc
from hirelens.v1 import candidate_pb2, candidate_pb2_grpc

from server.api import convert
from server.api.auth import ApiKeyAuth
from server.api.job_request import check_reference
from server.api.status import grpc_errors
from server.jobs.runner import JobRunner
from server.jobs.store import JobStore


class CandidateServicer(candidate_pb2_grpc.CandidateServiceServicer):
    def __init__(self, auth: ApiKeyAuth, store: JobStore, runner: JobRunner) -> None:
        self._auth = auth
        self._store = store
        self._runner = runner

    @grpc_errors
    def DeleteCandidate(
        self, request: candidate_pb2.DeleteCandidateRequest, context: grpc.ServicerContext
    ) -> candidate_pb2.DeletionReceipt:
        tenant = self._auth.tenant(context)
        check_reference(request.candidate_ref, "candidate_ref", required=True)
        receipt = self._store.delete_candidate(tenant.id, request.candidate_ref)
        for job_id in receipt.job_ids:
            self._runner.cancel(job_id)  # a job analysing right now stops; its row is already gone
        return candidate_pb2.DeletionReceipt(
            receipt_id=receipt.receipt_id,
            candidate_ref=request.candidate_ref,
            deleted_at=convert.timestamp(receipt.deleted_at),
            jobs_erased=receipt.jobs_erased,
            recordings_erased=receipt.recordings_erased,
            results_erased=receipt.results_erased,
            job_ids=list(receipt.job_ids),
        )
