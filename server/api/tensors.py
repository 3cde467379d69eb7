"""KServe v2 tensors <-> numpy, byte for byte as Triton encodes them.

Fixed-size types travel row-major, little-endian, in ``raw_*_contents`` or in the typed ``contents`` field
that matches the datatype. BYTES elements travel as a 4-byte little-endian length followed by the bytes, and
become numpy object arrays of ``bytes`` (what the model.py files expect).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

import numpy as np
from tritonclient.grpc import model_config_pb2, service_pb2

from server.errors import clipped, quoted


class TensorError(ValueError):
    """A tensor whose datatype, shape or contents cannot be decoded; the message names the tensor."""


_DTYPES: dict[str, np.dtype] = {
    "BOOL": np.dtype(np.bool_),
    "UINT8": np.dtype("<u1"),
    "UINT16": np.dtype("<u2"),
    "UINT32": np.dtype("<u4"),
    "UINT64": np.dtype("<u8"),
    "INT8": np.dtype("<i1"),
    "INT16": np.dtype("<i2"),
    "INT32": np.dtype("<i4"),
    "INT64": np.dtype("<i8"),
    "FP16": np.dtype("<f2"),
    "FP32": np.dtype("<f4"),
    "FP64": np.dtype("<f8"),
}
DATATYPES = (*_DTYPES, "BYTES")

# The typed ``InferTensorContents`` field each datatype travels in when a client does not send raw bytes
# (FP16 has none: it can only travel raw, as in Triton).
_CONTENTS_FIELD = {
    "BOOL": "bool_contents",
    "UINT8": "uint_contents",
    "UINT16": "uint_contents",
    "UINT32": "uint_contents",
    "UINT64": "uint64_contents",
    "INT8": "int_contents",
    "INT16": "int_contents",
    "INT32": "int_contents",
    "INT64": "int64_contents",
    "FP32": "fp32_contents",
    "FP64": "fp64_contents",
    "BYTES": "bytes_contents",
}


def config_datatype(data_type: int) -> str:
    """A model config's ``TYPE_FP32`` as the protocol's ``FP32`` (``TYPE_STRING`` is ``BYTES``)."""
    name = model_config_pb2.DataType.Name(data_type).removeprefix("TYPE_")
    return "BYTES" if name == "STRING" else name


def numpy_datatype(array: np.ndarray) -> str:
    """The protocol datatype of an output array; object and string arrays are BYTES."""
    if array.dtype.kind in "OSU":
        return "BYTES"
    for name, dtype in _DTYPES.items():
        if array.dtype.newbyteorder("<") == dtype or array.dtype == dtype:
            return name
    raise TensorError(f"numpy dtype {array.dtype} has no KServe v2 datatype")


def _element_count(name: str, shape: Sequence[int]) -> int:
    if any(dim < 0 for dim in shape):
        raise TensorError(f"input {quoted(name)} has a negative dimension in shape {clipped(list(shape))}")
    return int(np.prod(shape, dtype=np.int64)) if shape else 1


def decode_bytes(name: str, raw: bytes) -> list[bytes]:
    """Split Triton's length-prefixed BYTES serialisation into its elements."""
    items, offset, view = [], 0, memoryview(raw)
    while offset < len(raw):
        if offset + 4 > len(raw):
            raise TensorError(f"input {quoted(name)}: BYTES data ends inside a 4-byte length prefix")
        (length,) = struct.unpack_from("<I", raw, offset)
        offset += 4
        if offset + length > len(raw):
            raise TensorError(f"input {quoted(name)}: BYTES element of {length} bytes runs past the data")
        items.append(bytes(view[offset : offset + length]))
        offset += length
    return items


def encode_bytes(array: np.ndarray) -> bytes:
    """Triton's BYTES serialisation of an object/str/bytes array, row-major."""
    parts = []
    for item in array.reshape(-1):
        data = item.encode("utf-8") if isinstance(item, str) else bytes(item)
        parts.append(struct.pack("<I", len(data)))
        parts.append(data)
    return b"".join(parts)


def _object_array(name: str, items: list[bytes], shape: Sequence[int]) -> np.ndarray:
    count = _element_count(name, shape)
    if len(items) != count:
        raise TensorError(
            f"input {quoted(name)} holds {len(items)} BYTES elements, "
            f"shape {clipped(list(shape))} needs {count}"
        )
    array = np.empty(len(items), dtype=object)
    array[:] = items
    return array.reshape(tuple(shape))


def input_array(tensor: service_pb2.ModelInferRequest.InferInputTensor, raw: bytes | None) -> np.ndarray:
    """One request input as numpy: from its raw bytes when the request sent them, else its typed contents."""
    name, datatype, shape = tensor.name, tensor.datatype, list(tensor.shape)
    if datatype not in DATATYPES:
        raise TensorError(
            f"input {quoted(name)} has unsupported datatype {quoted(datatype)}; supported: {DATATYPES}"
        )
    count = _element_count(name, shape)
    if datatype == "BYTES":
        items = decode_bytes(name, raw) if raw is not None else list(tensor.contents.bytes_contents)
        return _object_array(name, items, shape)
    dtype = _DTYPES[datatype]
    if raw is not None:
        if len(raw) != count * dtype.itemsize:
            raise TensorError(
                f"input {quoted(name)} has {len(raw)} bytes of {datatype}; "
                f"shape {clipped(list(shape))} needs {count * dtype.itemsize}"
            )
        return np.frombuffer(raw, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="), copy=False)
    field = _CONTENTS_FIELD.get(datatype)
    if field is None:
        raise TensorError(f"input {quoted(name)}: {datatype} can only be sent in raw_input_contents")
    values = getattr(tensor.contents, field)
    if len(values) != count:
        raise TensorError(
            f"input {quoted(name)} holds {len(values)} values, shape {clipped(list(shape))} needs {count}"
        )
    return np.asarray(values, dtype=dtype.newbyteorder("=")).reshape(shape)


def output_tensor(
    name: str, array: np.ndarray
) -> tuple[service_pb2.ModelInferResponse.InferOutputTensor, bytes]:
    """One response output: its metadata and its raw bytes (Triton always answers in raw form)."""
    datatype = numpy_datatype(array)
    meta = service_pb2.ModelInferResponse.InferOutputTensor(
        name=name, datatype=datatype, shape=list(array.shape)
    )
    if datatype == "BYTES":
        return meta, encode_bytes(array)
    return meta, np.ascontiguousarray(array, dtype=_DTYPES[datatype]).tobytes()
