"""Checks a request's tensors against the model's config.pbtxt before the model sees them, as Triton does.

A wrong name, datatype or shape is the caller's mistake (INVALID_ARGUMENT, naming the tensor), not a model
failure, and it must never reach a dynamic batch where it could fail other callers' requests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from tritonclient.grpc import model_config_pb2

from server.api.tensors import TensorError, config_datatype
from server.errors import clipped, quoted


def full_dims(config: model_config_pb2.ModelConfig, dims: Sequence[int]) -> list[int]:
    """A tensor's shape as clients see it: a leading -1 batch dimension when the model batches."""
    return ([-1] if config.max_batch_size > 0 else []) + list(dims)


def _shape_matches(shape: Sequence[int], expected: Sequence[int]) -> bool:
    return len(shape) == len(expected) and all(
        e == -1 or s == e for s, e in zip(shape, expected, strict=True)
    )


def check_inputs(
    config: model_config_pb2.ModelConfig, inputs: Mapping[str, np.ndarray], datatypes: Mapping[str, str]
) -> None:
    """Raise TensorError naming the first input that the config does not accept."""
    declared = {tensor.name: tensor for tensor in config.input}
    for name in inputs:
        if name not in declared:
            raise TensorError(
                f"unexpected inference input {quoted(name)} for model '{config.name}'; "
                f"it takes: {', '.join(declared)}"
            )
    for name, spec in declared.items():
        if name not in inputs:
            if spec.optional:
                continue
            raise TensorError(f"model '{config.name}' expects input '{name}', the request lacks it")
        expected_type = config_datatype(spec.data_type)
        if datatypes[name] != expected_type:
            raise TensorError(
                f"input '{name}' of model '{config.name}' has datatype {quoted(datatypes[name])}, "
                f"expected {expected_type}"
            )
        shape = inputs[name].shape
        expected = full_dims(config, spec.dims)
        if not _shape_matches(shape, expected):
            raise TensorError(
                f"input '{name}' of model '{config.name}' "
                f"has shape {clipped(list(shape))}, expected {expected}"
            )
        if config.max_batch_size > 0 and not 1 <= shape[0] <= config.max_batch_size:
            raise TensorError(
                f"input '{name}' of model '{config.name}' has batch size {shape[0]}, "
                f"the model takes 1 to {config.max_batch_size}"
            )
    if config.max_batch_size > 0:
        batch_sizes = {array.shape[0] for array in inputs.values()}
        if len(batch_sizes) > 1:
            raise TensorError(
                f"inputs of model '{config.name}' disagree on batch size: {sorted(batch_sizes)}"
            )


def check_outputs(config: model_config_pb2.ModelConfig, requested: Sequence[str]) -> None:
    declared = [tensor.name for tensor in config.output]
    for name in requested:
        if name not in declared:
            raise TensorError(
                f"unexpected inference output {quoted(name)} for model '{config.name}'; "
                f"it has: {', '.join(declared)}"
            )
