"""The HireLens server as one object: database, job runner, webhooks, gRPC services and metrics, started and
stopped together. ``hirelens serve`` and the integration tests both run exactly this."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from wsgiref.simple_server import WSGIServer

import grpc
from grpc_health.v1 import health
from hirelens.v1 import (
    candidate_pb2,
    candidate_pb2_grpc,
    interview_pb2,
    interview_pb2_grpc,
    scenario_pb2,
    scenario_pb2_grpc,
)

from server.analysis.registry import analyzer_classes
from server.api.auth import ApiKeyAuth, InferenceKeyInterceptor
from server.api.candidate_servicer import CandidateServicer
from server.api.inference_servicer import InferenceServicer
from server.api.interview_servicer import InterviewDeps, InterviewServicer
from server.api.scenario_servicer import ScenarioServicer
from server.api.server import SHORT_CALL_THREADS, build_server, stop_gracefully
from server.api.tls import server_credentials
from server.config import Settings
from server.jobs.database import Database, open_database
from server.jobs.processing import process_job
from server.jobs.runner import JobRunner
from server.jobs.store import JobRecord, JobStore
from server.jobs.tenants import TenantStore
from server.jobs.webhooks import RetryPolicy, WebhookSender
from server.observability.interceptors import MetricsInterceptor
from server.observability.metrics import Metrics, start_metrics_server
from server.runtime import Runtime, get_runtime
from server.scoring.policy import check_scenario, find_policy
from server.scoring.registry import ScenarioRegistry

log = logging.getLogger(__name__)


def _service_name(module: object, name: str) -> str:
    return module.DESCRIPTOR.services_by_name[name].full_name  # type: ignore[attr-defined]


@dataclass
class HireLensService:
    """Everything ``hirelens serve`` runs. ``start`` binds the ports; ``stop`` drains calls, lets the current
    jobs' state stay in the database (the next start resumes them) and closes the database."""

    settings: Settings
    runtime: Runtime
    db: Database
    store: JobStore
    tenants: TenantStore
    runner: JobRunner
    webhooks: WebhookSender
    metrics: Metrics
    grpc_server: grpc.Server
    health: health.HealthServicer
    inference: InferenceServicer
    metrics_server: WSGIServer | None = None
    _started: bool = field(default=False, repr=False)

    @classmethod
    def build(cls, settings: Settings, runtime: Runtime | None = None) -> HireLensService:
        server_settings = settings.server
        runtime = runtime or get_runtime(settings)
        data_dir = server_settings.data_dir.expanduser()
        data_dir.mkdir(parents=True, exist_ok=True)
        db = open_database(server_settings.database())
        tenants = TenantStore(db)
        tenants.sync(server_settings.tenants)
        if not server_settings.tenants:
            log.warning("no tenants configured: every HireLens API call will be refused (hirelens keys new)")
        store = JobStore(db)
        analyzers = analyzer_classes()
        policy = find_policy(server_settings.policy, analyzers) if server_settings.policy else None
        scenarios = ScenarioRegistry()
        if policy is not None:  # a deployment must not start with scenarios its own policy forbids unnoticed
            for scenario in scenarios.list():
                for problem in check_scenario(scenario, policy, analyzers):
                    log.warning("scenario %s refused under policy %s: %s", scenario.id, policy.name, problem)
        metrics = Metrics(queue_depth=store.count_queued)
        metrics.watch_runtime(runtime)
        webhooks = WebhookSender(
            db,
            RetryPolicy(
                max_attempts=server_settings.webhook_max_attempts, timeout_s=server_settings.webhook_timeout_s
            ),
            senders=server_settings.webhook_senders,
            on_outcome=metrics.webhook_attempted,
        )
        metrics.watch_webhooks(webhooks.dead_letters)

        def on_finished(job: JobRecord) -> None:
            # run time of the attempt that ended (queue time excluded); webhooks are staged by the runner
            started = job.started_at or job.created_at
            metrics.job_finished(job.state.value, max(0.0, (job.updated_at - started).total_seconds()))

        runner = JobRunner(
            store,
            process_job,
            workers=server_settings.workers,
            retention_s=server_settings.retention_s,
            on_finished=on_finished,
            webhooks=webhooks,
            max_lost=server_settings.job_max_lost_runs,
            uploads=data_dir / "uploads",
            orphan_grace_s=server_settings.orphan_grace_s,
            orphan_sweep_s=server_settings.orphan_sweep_s,
        )
        auth = ApiKeyAuth(tenants)
        deps = InterviewDeps(
            store=store,
            runner=runner,
            auth=auth,
            scenarios=scenarios,
            settings=server_settings,
            policy=policy,
            analyzers=analyzers,
            on_upload_bytes=metrics.upload_received,
            text_limits=settings.text_limits,
            webhooks=webhooks,
        )
        interview = InterviewServicer(deps)
        scenario_service = ScenarioServicer(auth, scenarios, analyzers)
        candidate_service = CandidateServicer(auth, store, runner)
        services = [
            (
                _service_name(interview_pb2, "InterviewService"),
                lambda s: interview_pb2_grpc.add_InterviewServiceServicer_to_server(interview, s),
            ),
            (
                _service_name(scenario_pb2, "ScenarioService"),
                lambda s: scenario_pb2_grpc.add_ScenarioServiceServicer_to_server(scenario_service, s),
            ),
            (
                _service_name(candidate_pb2, "CandidateService"),
                lambda s: candidate_pb2_grpc.add_CandidateServiceServicer_to_server(candidate_service, s),
            ),
        ]
        tls = server_settings.tls
        credentials = (
            server_credentials(tls.cert_file, tls.key_file, tls.client_ca_file) if tls is not None else None
        )
        health_servicer = health.HealthServicer()
        inference = InferenceServicer(runtime, max_streams=server_settings.max_inference_streams)
        metrics.watch_inference_streams(lambda: inference.open_streams)
        grpc_server = build_server(
            runtime,
            server_settings.address,
            # every long call may hold a thread, and short calls still find one (server.py)
            max_workers=(
                server_settings.max_streams + server_settings.max_inference_streams + SHORT_CALL_THREADS
            ),
            max_message_bytes=server_settings.max_message_bytes,
            max_concurrent_rpcs=server_settings.max_concurrent_rpcs,
            health_servicer=health_servicer,
            services=services,
            interceptors=[
                MetricsInterceptor(metrics),
                *([InferenceKeyInterceptor(auth)] if server_settings.inference_requires_api_key else []),
            ],
            credentials=credentials,
            inference=inference,
        )
        return cls(
            settings,
            runtime,
            db,
            store,
            tenants,
            runner,
            webhooks,
            metrics,
            grpc_server,
            health_servicer,
            inference,
        )

    def start(self) -> None:
        server_settings = self.settings.server
        if server_settings.metrics_port is not None:
            self.metrics_server = start_metrics_server(
                self.metrics, server_settings.metrics_port, server_settings.metrics_host
            )
        self.webhooks.start()
        self.runner.start()
        self.grpc_server.start()
        self._started = True

    def stop(self, grace_s: float = 5.0) -> None:
        if not self._started:
            return
        stop_gracefully(self.grpc_server, self.health, grace_s, self.inference)
        self.runner.stop(timeout=grace_s)
        self.webhooks.stop()
        if self.metrics_server is not None:
            self.metrics_server.shutdown()
            self.metrics_server.server_close()
        self.db.close()
        self._started = False
