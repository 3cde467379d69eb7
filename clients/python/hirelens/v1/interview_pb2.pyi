import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from hirelens.v1 import result_pb2 as _result_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class JobState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    JOB_STATE_UNSPECIFIED: _ClassVar[JobState]
    QUEUED: _ClassVar[JobState]
    DECODING: _ClassVar[JobState]
    ANALYSING: _ClassVar[JobState]
    SCORING: _ClassVar[JobState]
    DONE: _ClassVar[JobState]
    FAILED: _ClassVar[JobState]
    CANCELLED: _ClassVar[JobState]

class WebhookState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WEBHOOK_STATE_UNSPECIFIED: _ClassVar[WebhookState]
    WEBHOOK_PENDING: _ClassVar[WebhookState]
    WEBHOOK_DELIVERED: _ClassVar[WebhookState]
    WEBHOOK_DEAD: _ClassVar[WebhookState]
JOB_STATE_UNSPECIFIED: JobState
QUEUED: JobState
DECODING: JobState
ANALYSING: JobState
SCORING: JobState
DONE: JobState
FAILED: JobState
CANCELLED: JobState
WEBHOOK_STATE_UNSPECIFIED: WebhookState
WEBHOOK_PENDING: WebhookState
WEBHOOK_DELIVERED: WebhookState
WEBHOOK_DEAD: WebhookState

class QuestionTiming(_message.Message):
    __slots__ = ("question_id", "text", "start_s", "end_s")
    QUESTION_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    START_S_FIELD_NUMBER: _ClassVar[int]
    END_S_FIELD_NUMBER: _ClassVar[int]
    question_id: str
    text: str
    start_s: float
    end_s: float
    def __init__(self, question_id: _Optional[str] = ..., text: _Optional[str] = ..., start_s: _Optional[float] = ..., end_s: _Optional[float] = ...) -> None: ...

class ConsentFlags(_message.Message):
    __slots__ = ("face", "voice")
    FACE_FIELD_NUMBER: _ClassVar[int]
    VOICE_FIELD_NUMBER: _ClassVar[int]
    face: bool
    voice: bool
    def __init__(self, face: _Optional[bool] = ..., voice: _Optional[bool] = ...) -> None: ...

class InterviewMetadata(_message.Message):
    __slots__ = ("candidate_ref", "scenario_id", "scenario_version", "language", "questions", "consent", "idempotency_key", "filename", "size_bytes")
    CANDIDATE_REF_FIELD_NUMBER: _ClassVar[int]
    SCENARIO_ID_FIELD_NUMBER: _ClassVar[int]
    SCENARIO_VERSION_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    QUESTIONS_FIELD_NUMBER: _ClassVar[int]
    CONSENT_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    candidate_ref: str
    scenario_id: str
    scenario_version: str
    language: str
    questions: _containers.RepeatedCompositeFieldContainer[QuestionTiming]
    consent: ConsentFlags
    idempotency_key: str
    filename: str
    size_bytes: int
    def __init__(self, candidate_ref: _Optional[str] = ..., scenario_id: _Optional[str] = ..., scenario_version: _Optional[str] = ..., language: _Optional[str] = ..., questions: _Optional[_Iterable[_Union[QuestionTiming, _Mapping]]] = ..., consent: _Optional[_Union[ConsentFlags, _Mapping]] = ..., idempotency_key: _Optional[str] = ..., filename: _Optional[str] = ..., size_bytes: _Optional[int] = ...) -> None: ...

class UploadInterviewRequest(_message.Message):
    __slots__ = ("metadata", "chunk")
    METADATA_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    metadata: InterviewMetadata
    chunk: bytes
    def __init__(self, metadata: _Optional[_Union[InterviewMetadata, _Mapping]] = ..., chunk: _Optional[bytes] = ...) -> None: ...

class JobError(_message.Message):
    __slots__ = ("code", "reason", "message")
    CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    code: int
    reason: str
    message: str
    def __init__(self, code: _Optional[int] = ..., reason: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class Job(_message.Message):
    __slots__ = ("job_id", "state", "progress", "candidate_ref", "scenario_id", "scenario_version", "created_at", "updated_at", "uploaded_bytes", "result", "error", "attempts", "webhook")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    CANDIDATE_REF_FIELD_NUMBER: _ClassVar[int]
    SCENARIO_ID_FIELD_NUMBER: _ClassVar[int]
    SCENARIO_VERSION_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPLOADED_BYTES_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    state: JobState
    progress: float
    candidate_ref: str
    scenario_id: str
    scenario_version: str
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    uploaded_bytes: int
    result: _result_pb2.ScoreResult
    error: JobError
    attempts: int
    webhook: WebhookDelivery
    def __init__(self, job_id: _Optional[str] = ..., state: _Optional[_Union[JobState, str]] = ..., progress: _Optional[float] = ..., candidate_ref: _Optional[str] = ..., scenario_id: _Optional[str] = ..., scenario_version: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., uploaded_bytes: _Optional[int] = ..., result: _Optional[_Union[_result_pb2.ScoreResult, _Mapping]] = ..., error: _Optional[_Union[JobError, _Mapping]] = ..., attempts: _Optional[int] = ..., webhook: _Optional[_Union[WebhookDelivery, _Mapping]] = ...) -> None: ...

class WebhookDelivery(_message.Message):
    __slots__ = ("delivery_id", "state", "attempts", "last_error", "next_attempt_at", "delivered_at")
    DELIVERY_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    NEXT_ATTEMPT_AT_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_AT_FIELD_NUMBER: _ClassVar[int]
    delivery_id: str
    state: WebhookState
    attempts: int
    last_error: str
    next_attempt_at: _timestamp_pb2.Timestamp
    delivered_at: _timestamp_pb2.Timestamp
    def __init__(self, delivery_id: _Optional[str] = ..., state: _Optional[_Union[WebhookState, str]] = ..., attempts: _Optional[int] = ..., last_error: _Optional[str] = ..., next_attempt_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., delivered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class WatchJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class CancelJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class TextAnswer(_message.Message):
    __slots__ = ("question", "answer")
    QUESTION_FIELD_NUMBER: _ClassVar[int]
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    question: str
    answer: str
    def __init__(self, question: _Optional[str] = ..., answer: _Optional[str] = ...) -> None: ...

class ScoreAnswersRequest(_message.Message):
    __slots__ = ("candidate_ref", "scenario_id", "scenario_version", "language", "answers")
    CANDIDATE_REF_FIELD_NUMBER: _ClassVar[int]
    SCENARIO_ID_FIELD_NUMBER: _ClassVar[int]
    SCENARIO_VERSION_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    ANSWERS_FIELD_NUMBER: _ClassVar[int]
    candidate_ref: str
    scenario_id: str
    scenario_version: str
    language: str
    answers: _containers.RepeatedCompositeFieldContainer[TextAnswer]
    def __init__(self, candidate_ref: _Optional[str] = ..., scenario_id: _Optional[str] = ..., scenario_version: _Optional[str] = ..., language: _Optional[str] = ..., answers: _Optional[_Iterable[_Union[TextAnswer, _Mapping]]] = ...) -> None: ...
