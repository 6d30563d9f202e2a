"""Multi-part questions split into sub-questions: by rules, or by the LLM when one is configured.

Retrieval searches for the whole question first and for each sub-question beside it, and
merges the lists round-robin (qa/retrieve.py): a comparison or a "who ..., and when ..."
question then finds a passage for each part, while the whole question keeps the first place.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from qa.conversation import main_subject

log = logging.getLogger(__name__)

MAX_PARTS = 4

_WH_WORD = r"(?:what|who|whom|whose|which|when|where|why|how)"
_AUX = r"(?:did|does|do|is|are|was|were|has|have|had|will|would|can|could|should)"
_ASKS = rf"(?:{_WH_WORD}|{_AUX})"
# a pronoun leaning on the other part ("Who is Wally, and why did he ...")
_PRONOUN = re.compile(r"\b(he|she|it|its|his|her|hers|they|them|their)\b", re.I)
# a named party: capitalised words, allowing "of the" inside ("Record of the Year")
_NAMED = r"[A-Z0-9][\w.'’-]*(?:\s+(?:(?:of|the|de|du|von|van)\s+)*[A-Z0-9][\w.'’-]*)*"
# words that may join two parts; a question without any is never sent to the LLM
_COMPOUND = re.compile(
    r"\b(?:and|or|both|versus|vs\.?|compared?|than|while|whereas)\b|[;?].*\?", re.I
)


def looks_compound(question: str) -> bool:
    """True when a question has a word that may join two questions (worth asking the LLM)."""
    return bool(_COMPOUND.search(question.strip().rstrip("?")))


def _standalone(part: str, other: str) -> str | None:
    """A part that leans on the other with a pronoun gets the other's subject named beside it;
    without a subject to name it cannot be searched on its own (None)."""
    if not _PRONOUN.search(part):
        return part
    subject = main_subject(other)
    return f"{part.rstrip('?')} ({subject})?" if subject else None


def split_by_rules(question: str) -> tuple[str, ...]:
    """A multi-part question's sub-questions; () when it is one question."""
    q = question.strip()
    # "What did A say, and what did B do?" / "Who won X and when was Y?": a second question
    # begins with a question word, or an auxiliary and a name ("... and did Harbor City ...");
    # "Which company is scrapping X and is giving up Y?" is one question with two clues
    if match := re.match(rf"^(.+?)[,;]?\s+and\s+((?:(?i:{_WH_WORD})\b|(?i:{_AUX})\s+[A-Z]).+)$", q):
        first, second = match.group(1).strip().rstrip(",;") + "?", match.group(2).strip()
        if (
            re.match(rf"^{_ASKS}\b", first, re.I)
            and len(first.split()) >= 3
            and len(second.split()) >= 3
        ):
            second_alone = _standalone(second, first)
            return (first, second_alone) if second_alone else ()
    # "Did both A and B ...?" -> one question per named party
    if match := re.search(
        rf"\bboth\s+((?:the\s+)?{_NAMED})\s+and\s+((?:the\s+)?{_NAMED})\s+(.+)$", q
    ):
        head = q[: match.start()].strip()
        first, second, rest = match.group(1), match.group(2), match.group(3)
        # "Who said that both A and B need X?" reports one claim about both: one question
        if not re.search(r"\b(?:that|said|says|say)\b", head, re.I):
            return (f"{head} {first} {rest}".strip(), f"{head} {second} {rest}".strip())
    # "Which is bigger, A or B?" -> each option with the question
    if match := re.match(r"^(.+?),\s*(.+?)\s+or\s+(.+?)\??$", q):
        head = match.group(1)
        if (
            re.match(rf"^{_ASKS}\b", head, re.I)
            and len(match.group(2).split()) <= 6
            and len(match.group(3).split()) <= 6
        ):
            return (f"{head} {match.group(2)}?", f"{head} {match.group(3)}?")
    return ()


def parse_parts(reply: str) -> tuple[str, ...]:
    """The sub-questions in an LLM reply, one per line; () when it kept the question whole."""
    parts: list[str] = []
    for line in reply.splitlines():
        text = re.sub(r"^\s*(?:[-*•]|\d+[.)])\s*", "", line).strip().strip('"')
        if 3 <= len(text.split()) <= 60 and text.lower() not in {p.lower() for p in parts}:
            parts.append(text)
    return tuple(parts[:MAX_PARTS]) if len(parts) >= 2 else ()


def split_with_llm(question: str, llm: Any, usage: Any = None) -> tuple[str, ...]:
    """Ask the LLM for the sub-questions (its tokens are added to `usage`); () for one question."""
    from qa.llm import chat_prompt

    reply = chat_prompt(llm, "decompose.v1", usage, question=question, max_parts=MAX_PARTS)
    return parse_parts(reply)


def split_question(question: str, llm: Any = None, usage: Any = None) -> tuple[str, ...]:
    """The sub-questions retrieval searches for beside the whole question: the LLM's split when
    an LLM is given and the question may be compound, else (or when the LLM fails) the rules'."""
    if llm is not None and looks_compound(question):
        from qa.llm import LLMError

        try:
            return split_with_llm(question, llm, usage)
        except LLMError as error:  # the rule-based split is a fair answer when the LLM is down
            log.warning("Splitting the question by rules: the LLM failed (%s)", error)
    return split_by_rules(question)
