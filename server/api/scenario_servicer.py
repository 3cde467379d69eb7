"""``hirelens.v1.ScenarioService``: the job roles this server scores, and a checker for new scenario files."""

from __future__ import annotations

from typing import Any

import grpc
from hirelens.v1 import scenario_pb2, scenario_pb2_grpc

from server.api import convert
from server.api.auth import ApiKeyAuth
from server.api.job_request import find_scenario
from server.api.status import ApiError, grpc_errors
from server.errors import quoted
from server.scoring.policy import builtin_policies, find_policy, validate_scenario_text
from server.scoring.registry import ScenarioRegistry
from server.scoring.yaml_data import FileProblems

MAX_SCENARIO_BYTES = 1024 * 1024


class ScenarioServicer(scenario_pb2_grpc.ScenarioServiceServicer):
    def __init__(self, auth: ApiKeyAuth, scenarios: ScenarioRegistry, analyzers: Any) -> None:
        self._auth = auth
        self._scenarios = scenarios
        self._analyzers = analyzers

    @grpc_errors
    def ListScenarios(
        self, request: scenario_pb2.ListScenariosRequest, context: grpc.ServicerContext
    ) -> scenario_pb2.ListScenariosResponse:
        self._auth.tenant(context)
        return scenario_pb2.ListScenariosResponse(
            scenarios=[convert.scenario_summary(s) for s in self._scenarios.list()]
        )

    @grpc_errors
    def GetScenario(
        self, request: scenario_pb2.GetScenarioRequest, context: grpc.ServicerContext
    ) -> scenario_pb2.Scenario:
        self._auth.tenant(context)
        scenario = find_scenario(self._scenarios, request.id, request.version, "id")
        source = self._scenarios.entry(scenario.id, scenario.version).source
        return convert.scenario(scenario, source.read_text(encoding="utf-8"))

    @grpc_errors
    def ValidateScenario(
        self, request: scenario_pb2.ValidateScenarioRequest, context: grpc.ServicerContext
    ) -> scenario_pb2.ValidateScenarioResponse:
        """Problems in the file are the answer (valid=false), not an error status: the call itself worked."""
        self._auth.tenant(context)
        if len(request.yaml.encode()) > MAX_SCENARIO_BYTES:
            raise ApiError(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"scenario text exceeds {MAX_SCENARIO_BYTES} bytes",
                field="yaml",
            )
        policy = None
        if request.policy:
            shipped = builtin_policies()  # names only: a caller must never make the server read a path
            if request.policy not in shipped:
                raise ApiError(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    f"unknown policy {quoted(request.policy)}; built-in policies: {', '.join(shipped)}",
                    field="policy",
                )
            policy = find_policy(request.policy, self._analyzers)
        try:
            scenario = validate_scenario_text(
                request.yaml, request.filename or "scenario.yaml", policy, self._analyzers
            )
        except FileProblems as exc:
            return scenario_pb2.ValidateScenarioResponse(valid=False, problems=exc.lines)
        return scenario_pb2.ValidateScenarioResponse(valid=True, summary=convert.scenario_summary(scenario))
