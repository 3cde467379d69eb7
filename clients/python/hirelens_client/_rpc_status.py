"""Decode ``google.rpc.Status`` with ``BadRequest`` / ``ErrorInfo`` details without googleapis-common-protos.

The three messages are declared here as FileDescriptorProtos in a descriptor pool of our own: the SDK depends
on grpcio and protobuf only, and a private pool cannot clash with the real ``google.rpc`` definitions that
another library (or the server, in tests) has loaded into the default pool.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from google.protobuf import any_pb2, descriptor_pb2, descriptor_pool, message_factory

STATUS_DETAILS_KEY = "grpc-status-details-bin"
BAD_REQUEST_TYPE = "google.rpc.BadRequest"
ERROR_INFO_TYPE = "google.rpc.ErrorInfo"

_F = descriptor_pb2.FieldDescriptorProto
_RPC = ".google.rpc"
_MESSAGE = _F.TYPE_MESSAGE


def _field(name: str, number: int, kind: int, *, repeated: bool = False, type_name: str = "") -> _F:
    label = _F.LABEL_REPEATED if repeated else _F.LABEL_OPTIONAL
    return _F(name=name, number=number, type=kind, label=label, type_name=type_name or None)


def _status_file() -> descriptor_pb2.FileDescriptorProto:
    status = descriptor_pb2.DescriptorProto(
        name="Status",
        field=[
            _field("code", 1, _F.TYPE_INT32),
            _field("message", 2, _F.TYPE_STRING),
            _field("details", 3, _F.TYPE_MESSAGE, repeated=True, type_name=".google.protobuf.Any"),
        ],
    )
    return descriptor_pb2.FileDescriptorProto(
        name="google/rpc/status.proto",
        package="google.rpc",
        syntax="proto3",
        dependency=["google/protobuf/any.proto"],
        message_type=[status],
    )


def _error_details_file() -> descriptor_pb2.FileDescriptorProto:
    violation = descriptor_pb2.DescriptorProto(
        name="FieldViolation",
        field=[_field("field", 1, _F.TYPE_STRING), _field("description", 2, _F.TYPE_STRING)],
    )
    bad_request = descriptor_pb2.DescriptorProto(
        name="BadRequest",
        field=[
            _field(
                "field_violations", 1, _MESSAGE, repeated=True, type_name=f"{_RPC}.BadRequest.FieldViolation"
            ),
        ],
        nested_type=[violation],
    )
    # map<string, string> metadata = 3 is, on the wire and in descriptors, a repeated nested MetadataEntry.
    entry = descriptor_pb2.DescriptorProto(
        name="MetadataEntry",
        field=[_field("key", 1, _F.TYPE_STRING), _field("value", 2, _F.TYPE_STRING)],
        options=descriptor_pb2.MessageOptions(map_entry=True),
    )
    error_info = descriptor_pb2.DescriptorProto(
        name="ErrorInfo",
        field=[
            _field("reason", 1, _F.TYPE_STRING),
            _field("domain", 2, _F.TYPE_STRING),
            _field("metadata", 3, _MESSAGE, repeated=True, type_name=f"{_RPC}.ErrorInfo.MetadataEntry"),
        ],
        nested_type=[entry],
    )
    return descriptor_pb2.FileDescriptorProto(
        name="google/rpc/error_details.proto",
        package="google.rpc",
        syntax="proto3",
        message_type=[error_info, bad_request],
    )


def _build_pool() -> descriptor_pool.DescriptorPool:
    pool = descriptor_pool.DescriptorPool()
    any_file = descriptor_pb2.FileDescriptorProto()
    any_pb2.DESCRIPTOR.CopyToProto(any_file)
    pool.Add(any_file)
    pool.Add(_status_file())
    pool.Add(_error_details_file())
    return pool


_POOL = _build_pool()
StatusMessage: Any = message_factory.GetMessageClass(_POOL.FindMessageTypeByName("google.rpc.Status"))
BadRequestMessage: Any = message_factory.GetMessageClass(_POOL.FindMessageTypeByName(BAD_REQUEST_TYPE))
ErrorInfoMessage: Any = message_factory.GetMessageClass(_POOL.FindMessageTypeByName(ERROR_INFO_TYPE))


@dataclass(frozen=True, slots=True)
class FieldViolation:
    """One request field at fault (``metadata.scenario_id``) and what is wrong with it."""

    field: str
    description: str


@dataclass(frozen=True, slots=True)
class StatusDetails:
    """What a ``google.rpc.Status`` trailer said, flattened: the details a program acts on."""

    code: int = 0
    message: str = ""
    reason: str = ""
    domain: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    field_violations: list[FieldViolation] = field(default_factory=list)
    unknown_details: list[str] = field(default_factory=list)  # type URLs of details this SDK does not read


def _type_name(type_url: str) -> str:
    return type_url.rsplit("/", 1)[-1]


def decode_status(data: bytes) -> StatusDetails:
    """Parse a serialized ``google.rpc.Status``; raises ``google.protobuf.message.DecodeError`` on garbage."""
    status = StatusMessage.FromString(data)
    reason = domain = ""
    metadata: dict[str, str] = {}
    violations: list[FieldViolation] = []
    unknown: list[str] = []
    for detail in status.details:
        name = _type_name(detail.type_url)
        if name == BAD_REQUEST_TYPE:
            bad = BadRequestMessage.FromString(detail.value)
            violations += [FieldViolation(v.field, v.description) for v in bad.field_violations]
        elif name == ERROR_INFO_TYPE and not reason:  # the first ErrorInfo is the one that names the error
            info = ErrorInfoMessage.FromString(detail.value)
            reason, domain, metadata = info.reason, info.domain, dict(info.metadata)
        else:
            unknown.append(detail.type_url)
    return StatusDetails(
        code=status.code,
        message=status.message,
        reason=reason,
        domain=domain,
        metadata=metadata,
        field_violations=violations,
        unknown_details=unknown,
    )


def details_from_trailers(trailers: Any) -> StatusDetails | None:
    """The decoded status from a call's trailing metadata, or None when there is none (or it is unreadable:
    an error report must never fail on its own details)."""
    for item in trailers or ():
        key, value = item[0], item[1]
        if key == STATUS_DETAILS_KEY and isinstance(value, bytes):
            try:
                return decode_status(value)
            except Exception:  # a corrupt trailer: fall back to the code and message
                return None
    return None
