import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DeleteCandidateRequest(_message.Message):
    __slots__ = ("candidate_ref",)
    CANDIDATE_REF_FIELD_NUMBER: _ClassVar[int]
    candidate_ref: str
    def __init__(self, candidate_ref: _Optional[str] = ...) -> None: ...

class DeletionReceipt(_message.Message):
    __slots__ = ("receipt_id", "candidate_ref", "deleted_at", "jobs_erased", "recordings_erased", "results_erased", "job_ids")
    RECEIPT_ID_FIELD_NUMBER: _ClassVar[int]
    CANDIDATE_REF_FIELD_NUMBER: _ClassVar[int]
    DELETED_AT_FIELD_NUMBER: _ClassVar[int]
    JOBS_ERASED_FIELD_NUMBER: _ClassVar[int]
    RECORDINGS_ERASED_FIELD_NUMBER: _ClassVar[int]
    RESULTS_ERASED_FIELD_NUMBER: _ClassVar[int]
    JOB_IDS_FIELD_NUMBER: _ClassVar[int]
    receipt_id: str
    candidate_ref: str
    deleted_at: _timestamp_pb2.Timestamp
    jobs_erased: int
    recordings_erased: int
    results_erased: int
    job_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, receipt_id: _Optional[str] = ..., candidate_ref: _Optional[str] = ..., deleted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., jobs_erased: _Optional[int] = ..., recordings_erased: _Optional[int] = ..., results_erased: _Optional[int] = ..., job_ids: _Optional[_Iterable[str]] = ...) -> None: ...
