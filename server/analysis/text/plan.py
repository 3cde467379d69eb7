"""Goal, strategy and execution in a launch or business plan answer, from cue phrases and position."""

from __future__ import annotations

from typing import ClassVar

from server.analysis.base import Answer, RecordingFeatures
from server.analysis.signals import Evidence, Signal, Signals
from server.analysis.text.cues import Part, after, anywhere, before, compile_cues, find_part
from server.analysis.text.evidence import TextEvidence
from server.analysis.text.sentences import split_sentences

GOAL = Part(
    "goal",
    compile_cues(
        [
            r"(?:the|our|my) (?:main |primary |first )?(?:goal|objective|target|aim|north star|mission)"
            r" (?:is|would be|will be|for)",
            r"we (?:want|aim|need|plan|hope) to"
            r" (?:reach|hit|get|grow|achieve|acquire|increase|double|win|sign)",
            r"success (?:means|looks like|would be|is)|kpis?|okrs?",
            r"by the end of (?:the )?(?:first |second )?(?:week|month|quarter|year)",
            "目标是|目标定为|目标设定为|我们?的目标|希望(?:达到|实现|做到)|要(?:达到|实现|做到)|(?:核心)?指标是|KPI|OKR|北极星",
        ]
    ),
    compile_cues([r"goals?|targets?|objectives?|metrics?|reach|achieve", "目标|指标|达到|实现|增长"]),
    before(0.5, outside=0.7),
)

STRATEGY = Part(
    "strategy",
    compile_cues(
        [
            r"(?:the|our|my) (?:strategy|approach|plan|positioning|go-to-market|bet) (?:is|would be|will be)",
            r"focus(?:ing)? on|prioriti[sz]\w*|target (?:audience|segment|users|customers)",
            r"differentiat\w+|instead of|rather than|position (?:it|the product|ourselves)",
            r"channels?|pricing|freemium|partnerships?|word of mouth",
            "策略|打法|思路是|方向是|重点(?:是|放在)|优先|定位|渠道|切入|差异化|目标用户|用户群|而不是",
        ]
    ),
    compile_cues([r"strategy|segment|market|competitors?|users|niche", "市场|竞品|用户|细分"]),
    anywhere,
)

EXECUTION = Part(
    "execution",
    compile_cues(
        [
            r"(?:in )?(?:the )?(?:first|second|third|next|last) (?:week|month|quarter|phase|step|two weeks"
            r"|30 days|60 days|90 days)",
            r"phase (?:one|two|three|1|2|3)|milestones?|timeline|roll(?:ing)? (?:it )?out|pilot|a/?b test\w*",
            r"(?:weekly|daily) (?:reviews?|stand-?ups?|syncs?|check-?ins?)|budget|owners?|assign\w*",
            r"(?:track|measure|monitor)\w*|launch (?:date|in|on)|(?:day|week|month) \d+",
            "第[一二三四五1-5](?:阶段|周|个月|步|期)|阶段|里程碑|排期|时间表|上线|灰度|试点|分工|预算|复盘|跟进|每周|每天|落地",
        ]
    ),
    compile_cues([r"launch\w*|team|resources?|execut\w+|deadline", "推进|资源|团队|执行|负责"]),
    after(0.3, outside=0.7),
)

PARTS = (GOAL, STRATEGY, EXECUTION)


class PlanAnalyzer:
    """``text.goal_strategy_execution`` (0-1): the mean strength of a plan's goal, strategy and execution
    parts; the evidence names each part found with its sentence."""

    name: ClassVar[str] = "text.plan"
    models: ClassVar[tuple[str, ...]] = ()
    signals: ClassVar[tuple[str, ...]] = ("text.goal_strategy_execution",)
    needs_recording: ClassVar[bool] = False

    def analyze(self, answer: Answer, features: RecordingFeatures) -> Signals:
        sentences = split_sentences(answer.text, answer.language)
        if not sentences:
            return {}
        evidence = TextEvidence(answer)
        matches = [(part.name, find_part(part, sentences)) for part in PARTS]
        found = [
            evidence.sentence(m.sentence, m.note(name)) for name, m in matches if m.present and m.sentence
        ]
        missing = [name for name, m in matches if not m.present]
        if missing:
            found.append(Evidence(note=f"missing: {', '.join(missing)}"))
        value = sum(m.strength for _, m in matches) / len(matches)
        return {"text.goal_strategy_execution": Signal(round(value, 3), tuple(found))}
