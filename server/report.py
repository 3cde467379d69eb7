"""A readable, plain-text rendering of an analysis result for people (the JSON is for programs)."""

from __future__ import annotations

import textwrap
from typing import Any


def _value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value[:8])
    return str(value)


def _evidence(signal: dict[str, Any]) -> str:
    for item in signal.get("evidence", [])[:1]:
        parts = []
        if "start_s" in item:
            parts.append(f"{item['start_s']:.1f}-{item.get('end_s', item['start_s']):.1f}s")
        if "excerpt" in item:
            parts.append(f'"{textwrap.shorten(item["excerpt"], 60)}"')
        if "note" in item:
            parts.append(item["note"])
        return "  [" + "; ".join(parts) + "]"
    return ""


def _signals(signals: dict[str, dict[str, Any]], indent: str) -> list[str]:
    return [f"{indent}{name:<34} {_value(s['value']):<16}{_evidence(s)}" for name, s in signals.items()]


def render_analysis(result: dict[str, Any]) -> str:
    lines = [f"Interview: {result['duration_s']:.1f} s, language {result['language']}"]
    if result.get("models"):
        lines.append("Models: " + ", ".join(f"{k}={v}" for k, v in result["models"].items()))
    warnings = result["quality"].get("warnings", [])
    lines.append("Capture quality: " + ("no warnings" if not warnings else f"{len(warnings)} warning(s)"))
    lines += [f"  ! {w['code']}: {w['message']}" for w in warnings]
    for answer in result["answers"]:
        span = ""
        if answer["start_s"] is not None:
            span = f" ({answer['start_s']:.1f}-{answer['end_s']:.1f} s)"
        lines.append("")
        lines.append(f"Answer {answer['index'] + 1}{span}: {answer['question'] or '(no question given)'}")
        if answer["transcript"]:
            lines.append("  " + textwrap.shorten(answer["transcript"], 160))
        lines += _signals(answer["signals"], "    ")
    lines.append("")
    lines.append("Whole interview:")
    lines += _signals(result["signals"], "    ")
    return "\n".join(lines)
