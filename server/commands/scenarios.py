"""``hirelens scenarios list | show ID | validate FILE``: the interview scenarios this installation knows."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("scenarios", help="list, show and validate interview scenarios")
    actions = parser.add_subparsers(dest="scenarios_command", required=True)

    listing = actions.add_parser("list", help="every scenario (latest version): id, names, size")
    listing.add_argument("--json", action="store_true", help="print one JSON object")
    listing.set_defaults(run=run_list, render=render_list)

    show = actions.add_parser("show", help="one scenario in full: questions, competencies, norms, KPIs")
    show.add_argument("id", help="scenario id, e.g. general_behavioral")
    show.add_argument("--version", help="a specific version (default: the latest)")
    show.add_argument("--json", action="store_true", help="print one JSON object")
    show.set_defaults(run=run_show, render=render_show)

    validate = actions.add_parser("validate", help="check a scenario file; exit 2 with every mistake")
    validate.add_argument("file", type=Path, help="the scenario's .yaml file")
    validate.add_argument("--policy", help="a policy .yaml file, or a built-in policy name (eu, default)")
    validate.add_argument("--json", action="store_true", help="print one JSON object")
    validate.set_defaults(run=run_validate, render=render_validate)


def run_list(args: argparse.Namespace) -> dict[str, Any]:
    from server.scoring.registry import ScenarioRegistry

    registry = ScenarioRegistry()
    rows = []
    for scenario in registry.list():
        entry = registry.entry(scenario.id, scenario.version)
        rows.append(
            {
                "id": scenario.id,
                "version": scenario.version,
                "names": {"zh": scenario.names.zh, "en": scenario.names.en},
                "questions": len(scenario.questions),
                "competencies": len(scenario.competencies),
                "plugin": entry.plugin,
            }
        )
    return {"scenarios": rows}


def render_list(result: dict[str, Any]) -> str:
    rows = result["scenarios"]
    if not rows:
        return "no scenarios installed"
    header = ("id", "version", "name (en)", "name (zh)", "questions", "competencies")
    table = [header] + [
        (
            r["id"],
            r["version"],
            r["names"]["en"],
            r["names"]["zh"],
            str(r["questions"]),
            str(r["competencies"]),
        )
        for r in rows
    ]
    widths = [max(_width(row[i]) for row in table) for i in range(len(header))]
    return "\n".join(
        "  ".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in table
    )


def _width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if ord(ch) >= 0x1100 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def run_show(args: argparse.Namespace) -> dict[str, Any]:
    from server.scoring.registry import ScenarioRegistry

    entry = ScenarioRegistry().entry(args.id, args.version)
    return {**entry.scenario.model_dump(mode="json"), "source": str(entry.source), "plugin": entry.plugin}


def _num(value: float) -> str:
    return f"{value:g}"


def _norm(norm: dict[str, Any]) -> str:
    if norm["kind"] == "piecewise":
        return "piecewise " + ", ".join(f"{_num(x)}→{_num(y)}" for x, y in norm["points"])
    if norm["kind"] == "norm_group":
        better = "higher" if norm["direction"] == "higher" else "lower"
        return (
            f"norm group '{norm['group']}': mean {_num(norm['mean'])}, sd {_num(norm['sd'])}, "
            f"{better} is better"
        )
    return f"boolean yes→{_num(norm['if_true'])}, no→{_num(norm['if_false'])}"


def _kpi(k: dict[str, Any]) -> str:
    head = f"{k['kpi']} ({k['names']['en']} / {k['names']['zh']}) from {k['competency']}, {k['kind']}: "
    if k["kind"] == "table":
        points = [
            f"{_num(p['score'])} → {_num(p['target'])} {k['unit']}"
            + (f" ({p['label']})" if p.get("label") else "")
            for p in k["points"]
        ]
        return head + ", ".join(points)
    if k["kind"] == "relative":
        points = [f"{_num(p['score'])} → {_num(p['target']):+}% vs team average" for p in k["points"]]
        return head + ", ".join(points) + f"; {_num(k['per_point'])}% per point beyond"
    bonus = f"{_num(k['per_point'])} per point above {_num(k['from_score'])}"
    return head + f"{_num(k['base_target'])} {k['unit']} + {bonus}"


def render_show(s: dict[str, Any]) -> str:
    lines = [
        f"{s['id']} {s['version']}: {s['names']['en']} / {s['names']['zh']}",
        f"source: {s['source']}" + (f" (plugin {s['plugin']})" if s["plugin"] else ""),
    ]
    if s["description"]:
        lines.append(f"description: {s['description']['en']} / {s['description']['zh']}")
    lines.append(f"requires a visible face: {'yes' if s['requires_face'] else 'no'}")
    lines += ["", f"Questions ({len(s['questions'])})"]
    for number, q in enumerate(s["questions"], 1):
        lines.append(
            f"  {number}. {q['id']} ({_num(q['time_limit_s'])} s): {q['text']['en']} / {q['text']['zh']}"
        )
        lines.append(f"     probes: {', '.join(q['competencies'])}")
    lines += ["", f"Competencies ({len(s['competencies'])})"]
    for c in s["competencies"]:
        lines.append(f"  {c['id']}: {c['names']['en']} / {c['names']['zh']} (weight {_num(c['weight'])})")
        width = max(len(w["signal"]) for w in c["signals"])
        lines += [
            f"     {w['signal']:<{width}}  weight {_num(w['weight']):<5} {_norm(w['norm'])}"
            for w in c["signals"]
        ]
        if c["rubric"]:
            levels = ", ".join(f"{lv['level']} {_num(lv['score'])}" for lv in c["rubric"]["levels"])
            lines.append(f"     rubric (weight {_num(c['rubric']['weight'])}): {levels}")
    lines += ["", "Requirement profile (minimum score)"]
    lines += [f"  {name}: {_num(score)}" for name, score in s["requirement_profile"].items()]
    if s["tags"]:
        lines += ["", "Tags"]
        for t in s["tags"]:
            names = f"{t['names']['en']} / {t['names']['zh']}"
            lines.append(f"  {t['id']} ({names}): {t['competency']} at least {_num(t['at_least'])}")
    if s["kpi_mappings"]:
        lines += ["", "KPI mappings"]
        lines += [f"  {_kpi(k)}" for k in s["kpi_mappings"]]
    return "\n".join(lines)


def run_validate(args: argparse.Namespace) -> dict[str, Any]:
    from server.analysis.registry import analyzer_classes
    from server.scoring.policy import consent_needed, find_policy, validate_scenario_file

    analyzers = analyzer_classes()
    policy = find_policy(args.policy, analyzers) if args.policy else None
    scenario = validate_scenario_file(args.file, policy, analyzers)
    return {
        "ok": True,
        "id": scenario.id,
        "version": scenario.version,
        "policy": policy.name if policy else None,
        "consent_needed": sorted(consent_needed(scenario, policy)),
    }


def render_validate(result: dict[str, Any]) -> str:
    text = f"ok: {result['id']} {result['version']}"
    if result["consent_needed"]:
        text += (
            f"\nnote: under policy '{result['policy']}' this scenario needs the candidate's recorded consent "
            f"for: {', '.join(result['consent_needed'])}"
        )
    return text
