from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Reason(_message.Message):
    __slots__ = ("code", "message", "answer")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    code: str
    message: str
    answer: int
    def __init__(self, code: _Optional[str] = ..., message: _Optional[str] = ..., answer: _Optional[int] = ...) -> None: ...

class ScenarioRef(_message.Message):
    __slots__ = ("id", "version")
    ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    id: str
    version: str
    def __init__(self, id: _Optional[str] = ..., version: _Optional[str] = ...) -> None: ...

class OverallScore(_message.Message):
    __slots__ = ("score", "confidence", "insufficient_data")
    SCORE_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    INSUFFICIENT_DATA_FIELD_NUMBER: _ClassVar[int]
    score: float
    confidence: float
    insufficient_data: _containers.RepeatedCompositeFieldContainer[Reason]
    def __init__(self, score: _Optional[float] = ..., confidence: _Optional[float] = ..., insufficient_data: _Optional[_Iterable[_Union[Reason, _Mapping]]] = ...) -> None: ...

class SignalScore(_message.Message):
    __slots__ = ("signal", "value", "score", "weight", "evidence")
    SIGNAL_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    signal: str
    value: _struct_pb2.Value
    score: float
    weight: float
    evidence: _struct_pb2.Struct
    def __init__(self, signal: _Optional[str] = ..., value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., score: _Optional[float] = ..., weight: _Optional[float] = ..., evidence: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class RubricMatch(_message.Message):
    __slots__ = ("score", "weight", "level", "similarities", "evidence")
    class SimilaritiesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    SCORE_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    SIMILARITIES_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    score: float
    weight: float
    level: str
    similarities: _containers.ScalarMap[str, float]
    evidence: _struct_pb2.Struct
    def __init__(self, score: _Optional[float] = ..., weight: _Optional[float] = ..., level: _Optional[str] = ..., similarities: _Optional[_Mapping[str, float]] = ..., evidence: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class CompetencyEvidence(_message.Message):
    __slots__ = ("answer", "question", "via", "score", "coverage", "evidence_strength", "signals", "rubric")
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    QUESTION_FIELD_NUMBER: _ClassVar[int]
    VIA_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    COVERAGE_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_STRENGTH_FIELD_NUMBER: _ClassVar[int]
    SIGNALS_FIELD_NUMBER: _ClassVar[int]
    RUBRIC_FIELD_NUMBER: _ClassVar[int]
    answer: int
    question: str
    via: str
    score: float
    coverage: float
    evidence_strength: float
    signals: _containers.RepeatedCompositeFieldContainer[SignalScore]
    rubric: RubricMatch
    def __init__(self, answer: _Optional[int] = ..., question: _Optional[str] = ..., via: _Optional[str] = ..., score: _Optional[float] = ..., coverage: _Optional[float] = ..., evidence_strength: _Optional[float] = ..., signals: _Optional[_Iterable[_Union[SignalScore, _Mapping]]] = ..., rubric: _Optional[_Union[RubricMatch, _Mapping]] = ...) -> None: ...

class CompetencyScore(_message.Message):
    __slots__ = ("id", "names", "weight", "score", "confidence", "coverage", "evidence", "insufficient_data")
    class NamesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    NAMES_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    COVERAGE_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    INSUFFICIENT_DATA_FIELD_NUMBER: _ClassVar[int]
    id: str
    names: _containers.ScalarMap[str, str]
    weight: float
    score: float
    confidence: float
    coverage: float
    evidence: _containers.RepeatedCompositeFieldContainer[CompetencyEvidence]
    insufficient_data: _containers.RepeatedCompositeFieldContainer[Reason]
    def __init__(self, id: _Optional[str] = ..., names: _Optional[_Mapping[str, str]] = ..., weight: _Optional[float] = ..., score: _Optional[float] = ..., confidence: _Optional[float] = ..., coverage: _Optional[float] = ..., evidence: _Optional[_Iterable[_Union[CompetencyEvidence, _Mapping]]] = ..., insufficient_data: _Optional[_Iterable[_Union[Reason, _Mapping]]] = ...) -> None: ...

class Tag(_message.Message):
    __slots__ = ("id", "names", "competency", "score", "at_least")
    class NamesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    NAMES_FIELD_NUMBER: _ClassVar[int]
    COMPETENCY_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    AT_LEAST_FIELD_NUMBER: _ClassVar[int]
    id: str
    names: _containers.ScalarMap[str, str]
    competency: str
    score: float
    at_least: float
    def __init__(self, id: _Optional[str] = ..., names: _Optional[_Mapping[str, str]] = ..., competency: _Optional[str] = ..., score: _Optional[float] = ..., at_least: _Optional[float] = ...) -> None: ...

class Requirement(_message.Message):
    __slots__ = ("competency", "required", "score", "met")
    COMPETENCY_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    MET_FIELD_NUMBER: _ClassVar[int]
    competency: str
    required: float
    score: float
    met: bool
    def __init__(self, competency: _Optional[str] = ..., required: _Optional[float] = ..., score: _Optional[float] = ..., met: _Optional[bool] = ...) -> None: ...

class Fit(_message.Message):
    __slots__ = ("percent", "met", "required", "requirements", "insufficient_data")
    PERCENT_FIELD_NUMBER: _ClassVar[int]
    MET_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_FIELD_NUMBER: _ClassVar[int]
    REQUIREMENTS_FIELD_NUMBER: _ClassVar[int]
    INSUFFICIENT_DATA_FIELD_NUMBER: _ClassVar[int]
    percent: float
    met: int
    required: int
    requirements: _containers.RepeatedCompositeFieldContainer[Requirement]
    insufficient_data: _containers.RepeatedCompositeFieldContainer[Reason]
    def __init__(self, percent: _Optional[float] = ..., met: _Optional[int] = ..., required: _Optional[int] = ..., requirements: _Optional[_Iterable[_Union[Requirement, _Mapping]]] = ..., insufficient_data: _Optional[_Iterable[_Union[Reason, _Mapping]]] = ...) -> None: ...

class KpiBaseline(_message.Message):
    __slots__ = ("kpi", "names", "competency", "score", "target", "unit", "label", "source", "kind", "insufficient_data")
    class NamesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    KPI_FIELD_NUMBER: _ClassVar[int]
    NAMES_FIELD_NUMBER: _ClassVar[int]
    COMPETENCY_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    INSUFFICIENT_DATA_FIELD_NUMBER: _ClassVar[int]
    kpi: str
    names: _containers.ScalarMap[str, str]
    competency: str
    score: float
    target: float
    unit: str
    label: str
    source: str
    kind: str
    insufficient_data: _containers.RepeatedCompositeFieldContainer[Reason]
    def __init__(self, kpi: _Optional[str] = ..., names: _Optional[_Mapping[str, str]] = ..., competency: _Optional[str] = ..., score: _Optional[float] = ..., target: _Optional[float] = ..., unit: _Optional[str] = ..., label: _Optional[str] = ..., source: _Optional[str] = ..., kind: _Optional[str] = ..., insufficient_data: _Optional[_Iterable[_Union[Reason, _Mapping]]] = ...) -> None: ...

class QualityWarning(_message.Message):
    __slots__ = ("code", "message", "value")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    code: str
    message: str
    value: _struct_pb2.Value
    def __init__(self, code: _Optional[str] = ..., message: _Optional[str] = ..., value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ...) -> None: ...

class CaptureQuality(_message.Message):
    __slots__ = ("measures", "warnings")
    class MeasuresEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    MEASURES_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    measures: _containers.ScalarMap[str, float]
    warnings: _containers.RepeatedCompositeFieldContainer[QualityWarning]
    def __init__(self, measures: _Optional[_Mapping[str, float]] = ..., warnings: _Optional[_Iterable[_Union[QualityWarning, _Mapping]]] = ...) -> None: ...

class QuestionMatch(_message.Message):
    __slots__ = ("method", "closest", "similarity")
    METHOD_FIELD_NUMBER: _ClassVar[int]
    CLOSEST_FIELD_NUMBER: _ClassVar[int]
    SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    method: str
    closest: str
    similarity: float
    def __init__(self, method: _Optional[str] = ..., closest: _Optional[str] = ..., similarity: _Optional[float] = ...) -> None: ...

class AnswerReport(_message.Message):
    __slots__ = ("index", "question", "question_id", "match", "language", "units", "evidences", "refusals")
    class EvidencesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    INDEX_FIELD_NUMBER: _ClassVar[int]
    QUESTION_FIELD_NUMBER: _ClassVar[int]
    QUESTION_ID_FIELD_NUMBER: _ClassVar[int]
    MATCH_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    UNITS_FIELD_NUMBER: _ClassVar[int]
    EVIDENCES_FIELD_NUMBER: _ClassVar[int]
    REFUSALS_FIELD_NUMBER: _ClassVar[int]
    index: int
    question: str
    question_id: str
    match: QuestionMatch
    language: str
    units: int
    evidences: _containers.ScalarMap[str, float]
    refusals: _containers.RepeatedCompositeFieldContainer[Reason]
    def __init__(self, index: _Optional[int] = ..., question: _Optional[str] = ..., question_id: _Optional[str] = ..., match: _Optional[_Union[QuestionMatch, _Mapping]] = ..., language: _Optional[str] = ..., units: _Optional[int] = ..., evidences: _Optional[_Mapping[str, float]] = ..., refusals: _Optional[_Iterable[_Union[Reason, _Mapping]]] = ...) -> None: ...

class NotAnalysed(_message.Message):
    __slots__ = ("modality", "code", "reason")
    MODALITY_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    modality: str
    code: str
    reason: str
    def __init__(self, modality: _Optional[str] = ..., code: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class Consent(_message.Message):
    __slots__ = ("given", "not_used", "not_analysed")
    GIVEN_FIELD_NUMBER: _ClassVar[int]
    NOT_USED_FIELD_NUMBER: _ClassVar[int]
    NOT_ANALYSED_FIELD_NUMBER: _ClassVar[int]
    given: _containers.RepeatedScalarFieldContainer[str]
    not_used: _containers.RepeatedScalarFieldContainer[str]
    not_analysed: _containers.RepeatedCompositeFieldContainer[NotAnalysed]
    def __init__(self, given: _Optional[_Iterable[str]] = ..., not_used: _Optional[_Iterable[str]] = ..., not_analysed: _Optional[_Iterable[_Union[NotAnalysed, _Mapping]]] = ...) -> None: ...

class ScoreResult(_message.Message):
    __slots__ = ("scenario", "language", "overall", "competencies", "tags", "fit", "kpi_baselines", "quality", "answers", "consent", "duration_s")
    SCENARIO_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    OVERALL_FIELD_NUMBER: _ClassVar[int]
    COMPETENCIES_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    FIT_FIELD_NUMBER: _ClassVar[int]
    KPI_BASELINES_FIELD_NUMBER: _ClassVar[int]
    QUALITY_FIELD_NUMBER: _ClassVar[int]
    ANSWERS_FIELD_NUMBER: _ClassVar[int]
    CONSENT_FIELD_NUMBER: _ClassVar[int]
    DURATION_S_FIELD_NUMBER: _ClassVar[int]
    scenario: ScenarioRef
    language: str
    overall: OverallScore
    competencies: _containers.RepeatedCompositeFieldContainer[CompetencyScore]
    tags: _containers.RepeatedCompositeFieldContainer[Tag]
    fit: Fit
    kpi_baselines: _containers.RepeatedCompositeFieldContainer[KpiBaseline]
    quality: CaptureQuality
    answers: _containers.RepeatedCompositeFieldContainer[AnswerReport]
    consent: Consent
    duration_s: float
    def __init__(self, scenario: _Optional[_Union[ScenarioRef, _Mapping]] = ..., language: _Optional[str] = ..., overall: _Optional[_Union[OverallScore, _Mapping]] = ..., competencies: _Optional[_Iterable[_Union[CompetencyScore, _Mapping]]] = ..., tags: _Optional[_Iterable[_Union[Tag, _Mapping]]] = ..., fit: _Optional[_Union[Fit, _Mapping]] = ..., kpi_baselines: _Optional[_Iterable[_Union[KpiBaseline, _Mapping]]] = ..., quality: _Optional[_Union[CaptureQuality, _Mapping]] = ..., answers: _Optional[_Iterable[_Union[AnswerReport, _Mapping]]] = ..., consent: _Optional[_Union[Consent, _Mapping]] = ..., duration_s: _Optional[float] = ...) -> None: ...
