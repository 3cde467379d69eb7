"""STAR structure (situation, task, action, result) from cue phrases and sentence position."""

from __future__ import annotations

from typing import ClassVar

from server.analysis.base import Answer, RecordingFeatures
from server.analysis.signals import Evidence, Signal, Signals
from server.analysis.text.cues import Part, after, anywhere, before, compile_cues, find_part
from server.analysis.text.evidence import TextEvidence
from server.analysis.text.numbers import result_label
from server.analysis.text.sentences import split_sentences

_PAST_ACTION = (
    r"(?!needed|wanted|liked|loved|enjoyed|hoped|wished|seemed|expected|guessed|believed|used|supposed)"
    r"(?:\w+ed|built|wrote|ran|led|set up|made|took|began|chose|drove|brought|found|taught|spoke|met|held"
    r"|rebuilt|rewrote|broke|put|sought|went|got|gave|sat down|split|shipped|rolled out|reached out)"
)

SITUATION = Part(
    "situation",
    compile_cues(
        [
            r"(?:at|in) my (?:previous|last|former|current|old|first)"
            r" (?:job|company|role|team|position|employer)",
            r"when i (?:was|worked|joined)",
            r"back (?:in|when)",
            r"at the time",
            r"(?:last|that) (?:year|quarter|summer|spring|autumn|fall|winter)",
            r"in (?:19|20)\d\d",
            r"the (?:situation|context|background|problem|issue) was",
            r"(?:we|they|the team|our team|the company) (?:were|was)"
            r" (?:facing|struggling|losing|dealing|stuck)",
            r"(?:there was|we had|we faced) (?:a|an|some) (?:\w+ )?"
            r"(?:problem|issue|outage|incident|crisis|bug|backlog|conflict|complaint)s?",
            r"customers? (?:were |was |kept )?complain\w*",
            "当时|那时候?|之前在|在上一家|在我之前|去年|前年|有一次|背景是|情况是|遇到了?|面临|出现了|客户(?:投诉|抱怨)|(?:19|20)\\d\\d年",
        ]
    ),
    compile_cues(
        [
            r"problems?|issues?|challenges?|situation|context|deadline|project|our team|the company|was slow",
            "问题|项目|团队|公司|挑战|困难|情况",
        ]
    ),
    before(0.5),
)

TASK = Part(
    "task",
    compile_cues(
        [
            r"my (?:task|job|role|responsibility|goal|assignment|mission|challenge) was",
            r"i was (?:responsible|in charge|asked|assigned|tasked|hired|brought in|put in charge)",
            r"(?:i|we) (?:needed|had|were asked|was asked) to",
            r"the (?:goal|task|objective|aim|ask) was",
            r"(?:i|we) (?:wanted|set out|aimed) to",
            r"it was (?:my job|up to me|on me)",
            "我的(?:任务|职责|工作|角色|目标)|任务是|我负责|由我负责|我被(?:安排|指派|要求)|目标是|需要我|我们?需要|要求我们?",
        ]
    ),
    compile_cues(
        [r"responsible|goal|target|objective|expected to|needed|had to", "负责|目标|需要|要求|任务|必须"]
    ),
    before(0.67, outside=0.6),
)

ACTION = Part(
    "action",
    compile_cues(
        [
            rf"(?:i|we) (?:first |then |also |quickly |personally |immediately |eventually )?{_PAST_ACTION}",
            r"(?:first|then|next|after that|afterwards),? (?:i|we)",
            r"my approach was|what i did was|i took (?:the )?(?:initiative|lead|ownership)",
            "我们?(?:首先|先|就|又|还|随后|立刻|马上|主动|亲自)?(?:主导|带领|组织|设计|搭建|推动|制定|分析|引入|重构|优化|编写|开发"
            "|调研|梳理|拆解|协调|沟通|建立|采取|提出|决定|安排|部署|改造|排查|定位|写了|做了)",
            "首先|其次|接着|第一步|第二步|我的做法是|具体来说",
        ]
    ),
    compile_cues(
        [r"steps?|plan|approach|implement\w*|analy[sz]\w*", "分析|设计|优化|推动|协调|沟通|实施|解决"]
    ),
    anywhere,
)

RESULT = Part(
    "result",
    compile_cues(
        [
            r"as a result|resulted in|the (?:result|outcome|impact) was|in the end|ended up",
            r"(?:which|this|that|it) (?:led|helped|allowed|enabled|meant)",
            r"we (?:achieved|delivered|shipped|launched|won|hit|met|exceeded|beat)",
            r"successfully|on time|ahead of schedule|(?:was|were) (?:happy|satisfied|pleased|promoted)",
            "结果|最终|效果|成果|上线后|带来了|使得|获得了|得到了(?:认可|表扬|好评)|满意|按时|提前",
        ]
    ),
    compile_cues(
        [
            r"increas\w*|reduc\w*|decreas\w*|improv\w*|grew|saved|doubled|finally|eventually|learned",
            "提升|提高|降低|减少|增长|最后|学到",
        ]
    ),
    after(0.4),
    boost=result_label,
)

PARTS = (SITUATION, TASK, ACTION, RESULT)


class StarAnalyzer:
    """``text.star.<part>``: 0-1 strength of each STAR part with the sentence that shows it, and
    ``text.star.complete``: all four parts present (strength >= 0.5)."""

    name: ClassVar[str] = "text.star"
    models: ClassVar[tuple[str, ...]] = ()
    signals: ClassVar[tuple[str, ...]] = (
        "text.star.situation",
        "text.star.task",
        "text.star.action",
        "text.star.result",
        "text.star.complete",
    )
    needs_recording: ClassVar[bool] = False

    def analyze(self, answer: Answer, features: RecordingFeatures) -> Signals:
        sentences = split_sentences(answer.text, answer.language)
        if not sentences:
            return {}
        evidence = TextEvidence(answer)
        signals: Signals = {}
        missing = []
        for part in PARTS:
            match = find_part(part, sentences)
            found = (evidence.sentence(match.sentence, match.note(part.name)),) if match.sentence else ()
            signals[f"text.star.{part.name}"] = Signal(match.strength, found)
            if not match.present:
                missing.append(part.name)
        note = f"missing: {', '.join(missing)}" if missing else "all four parts present"
        signals["text.star.complete"] = Signal(not missing, (Evidence(note=note),))
        return signals
