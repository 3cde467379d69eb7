"""Which tenant is calling: an API key in the ``x-api-key`` metadata entry or ``authorization: Bearer``."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import grpc

from server.api.status import ApiError
from server.jobs.tenants import Tenant, TenantStore

CACHE_S = 30.0  # a revoked key stops working within this long without a database read per call


def api_key_of(metadata: Iterable[tuple[str, str]]) -> str | None:
    for key, value in metadata:
        if key == "x-api-key" and value:
            return value
        if key == "authorization" and value.lower().startswith("bearer ") and value[7:].strip():
            return value[7:].strip()
    return None


class ApiKeyAuth:
    """Resolves the caller's tenant; UNAUTHENTICATED without a known key (which key, never said back)."""

    def __init__(self, tenants: TenantStore) -> None:
        self._tenants = tenants
        self._cache: dict[str, tuple[float, Tenant]] = {}
        self._lock = threading.Lock()

    def tenant(self, context: grpc.ServicerContext) -> Tenant:
        return self.tenant_of_metadata(context.invocation_metadata())

    def tenant_of_metadata(self, metadata: Iterable[tuple[str, str]]) -> Tenant:
        key = api_key_of(metadata)
        if key is None:
            raise ApiError(
                grpc.StatusCode.UNAUTHENTICATED,
                "missing API key: send it in the 'x-api-key' metadata entry",
                reason="API_KEY_MISSING",
            )
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        tenant = self._tenants.authenticate(key)
        if tenant is None:
            raise ApiError(grpc.StatusCode.UNAUTHENTICATED, "unknown API key", reason="API_KEY_INVALID")
        with self._lock:
            self._cache[key] = (now + CACHE_S, tenant)
        return tenant


INFERENCE_PREFIX = "/inference.GRPCInferenceService/"
OPEN_INFERENCE_METHODS = frozenset({"ServerLive", "ServerReady"})  # probes of load balancers carry no key


def _refusal_handler(error: ApiError, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
    """A handler of the same shape as ``handler`` that only refuses."""

    def refuse(_request: object, context: grpc.ServicerContext) -> None:
        context.abort_with_status(error.to_status())

    if handler.request_streaming and handler.response_streaming:
        return grpc.stream_stream_rpc_method_handler(
            lambda it, ctx: iter([refuse(None, ctx)]),
            handler.request_deserializer,
            handler.response_serializer,
        )
    return grpc.unary_unary_rpc_method_handler(
        refuse, handler.request_deserializer, handler.response_serializer
    )


class InferenceKeyInterceptor(grpc.ServerInterceptor):
    """With ``server.inference_requires_api_key``, the Triton protocol takes the same API keys as the
    HireLens API (tritonclient sends them with ``headers={"x-api-key": ...}``); the liveness and readiness
    probes stay open."""

    def __init__(self, auth: ApiKeyAuth) -> None:
        self._auth = auth

    def intercept_service(
        self, continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None], details: Any
    ) -> grpc.RpcMethodHandler | None:
        handler = continuation(details)
        method = details.method
        if handler is None or not method.startswith(INFERENCE_PREFIX):
            return handler
        if method[len(INFERENCE_PREFIX) :] in OPEN_INFERENCE_METHODS:
            return handler
        try:
            self._auth.tenant_of_metadata(details.invocation_metadata)
        except ApiError as error:
            return _refusal_handler(error, handler)
        return handler
