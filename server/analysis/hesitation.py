"""English hesitation sounds, in one place for the filler count and for keyword extraction (never a topic).

Kept apart from ``fillers`` because the text analyzers import it and ``fillers`` imports the text package.
"""

from __future__ import annotations

import re

HESITATION = re.compile(
    r"""u+h*m+      # um umm uhm uhmm
      | u+h+        # uh uhh
      | e+r+m+ | er | e+r{3,}  # erm errm er errr, but not "err" (the verb)
      | a+h+m*      # ah ahh aah ahm ("ah, I see" fills in an answer)
      | e+h+m*      # eh ehh ehm; "eh?" closing a question: fillers.EN_TAG_EH
      | h+m+ | m{2,} | m+h+m+  # hm hmm mm mmm mhm
      | y'know""",
    re.IGNORECASE | re.VERBOSE,
)
"""Hesitation sounds in the spellings of transcription guides and corpora; matched against whole words only,
so "er" in "answer" or "ah" in "Utah" never counts."""
