"""Errors the domain raises; transports (CLI, gRPC) turn them into exit codes or status codes."""

from __future__ import annotations

# An error message quotes at most this much of what a caller sent: a 64 MiB model name must not come back
# in the status (nor go into the log) whole. Enough to recognise any real name or id.
MAX_QUOTED_CHARS = 100


def clipped(value: object, limit: int = MAX_QUOTED_CHARS) -> str:
    """``value`` as text for an error message: unprintable characters escaped, cut to ``limit`` characters
    with the full length said, so a message stays small whatever the caller sent."""
    text = str(value)
    cut = text[:limit]
    shown = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in cut)
    return shown if len(text) <= limit else f"{shown}... ({len(text)} characters)"


def quoted(value: object, limit: int = MAX_QUOTED_CHARS) -> str:
    """``'value'``, clipped: how messages name a caller's model, tensor, scenario or job."""
    return f"'{clipped(value, limit)}'"


class HireLensError(Exception):
    """Base for every error that has a message meant for the caller."""


class MediaError(HireLensError):
    """The recording cannot be read or does not hold what an analysis needs."""


class InputError(HireLensError):
    """A caller-supplied argument (answers file, question list, timestamps) is invalid."""


class ModelRepositoryError(HireLensError):
    """The model repository or one model's config is broken."""


class InferenceError(HireLensError):
    """A model rejected a request or failed while executing it."""


class UnscorableError(HireLensError):
    """The input is readable but holds nothing that can be analysed (silence only, no speech)."""


class InferenceRejected(InferenceError):
    """A model refused one request as invalid (Triton's INVALID_ARG): the caller's input, not the model."""


class InferenceCancelled(InferenceError):
    """The caller gave up on the request (cancel, deadline) before the model answered it."""


class InferenceUnavailable(InferenceError):
    """The model cannot take requests now (its batcher is closed: the server is shutting down)."""
