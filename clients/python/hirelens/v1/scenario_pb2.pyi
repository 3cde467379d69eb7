from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ScenarioQuestion(_message.Message):
    __slots__ = ("id", "text", "competencies", "time_limit_s")
    class TextEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    COMPETENCIES_FIELD_NUMBER: _ClassVar[int]
    TIME_LIMIT_S_FIELD_NUMBER: _ClassVar[int]
    id: str
    text: _containers.ScalarMap[str, str]
    competencies: _containers.RepeatedScalarFieldContainer[str]
    time_limit_s: float
    def __init__(self, id: _Optional[str] = ..., text: _Optional[_Mapping[str, str]] = ..., competencies: _Optional[_Iterable[str]] = ..., time_limit_s: _Optional[float] = ...) -> None: ...

class ScenarioSummary(_message.Message):
    __slots__ = ("id", "version", "names", "languages", "competencies", "modalities")
    class NamesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    NAMES_FIELD_NUMBER: _ClassVar[int]
    LANGUAGES_FIELD_NUMBER: _ClassVar[int]
    COMPETENCIES_FIELD_NUMBER: _ClassVar[int]
    MODALITIES_FIELD_NUMBER: _ClassVar[int]
    id: str
    version: str
    names: _containers.ScalarMap[str, str]
    languages: _containers.RepeatedScalarFieldContainer[str]
    competencies: _containers.RepeatedScalarFieldContainer[str]
    modalities: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., version: _Optional[str] = ..., names: _Optional[_Mapping[str, str]] = ..., languages: _Optional[_Iterable[str]] = ..., competencies: _Optional[_Iterable[str]] = ..., modalities: _Optional[_Iterable[str]] = ...) -> None: ...

class Scenario(_message.Message):
    __slots__ = ("summary", "questions", "yaml")
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    QUESTIONS_FIELD_NUMBER: _ClassVar[int]
    YAML_FIELD_NUMBER: _ClassVar[int]
    summary: ScenarioSummary
    questions: _containers.RepeatedCompositeFieldContainer[ScenarioQuestion]
    yaml: str
    def __init__(self, summary: _Optional[_Union[ScenarioSummary, _Mapping]] = ..., questions: _Optional[_Iterable[_Union[ScenarioQuestion, _Mapping]]] = ..., yaml: _Optional[str] = ...) -> None: ...

class ListScenariosRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListScenariosResponse(_message.Message):
    __slots__ = ("scenarios",)
    SCENARIOS_FIELD_NUMBER: _ClassVar[int]
    scenarios: _containers.RepeatedCompositeFieldContainer[ScenarioSummary]
    def __init__(self, scenarios: _Optional[_Iterable[_Union[ScenarioSummary, _Mapping]]] = ...) -> None: ...

class GetScenarioRequest(_message.Message):
    __slots__ = ("id", "version")
    ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    id: str
    version: str
    def __init__(self, id: _Optional[str] = ..., version: _Optional[str] = ...) -> None: ...

class ValidateScenarioRequest(_message.Message):
    __slots__ = ("yaml", "filename", "policy")
    YAML_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    yaml: str
    filename: str
    policy: str
    def __init__(self, yaml: _Optional[str] = ..., filename: _Optional[str] = ..., policy: _Optional[str] = ...) -> None: ...

class ValidateScenarioResponse(_message.Message):
    __slots__ = ("valid", "problems", "summary")
    VALID_FIELD_NUMBER: _ClassVar[int]
    PROBLEMS_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    valid: bool
    problems: _containers.RepeatedScalarFieldContainer[str]
    summary: ScenarioSummary
    def __init__(self, valid: _Optional[bool] = ..., problems: _Optional[_Iterable[str]] = ..., summary: _Optional[_Union[ScenarioSummary, _Mapping]] = ...) -> None: ...
