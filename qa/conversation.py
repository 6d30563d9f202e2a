"""Follow-up questions rewritten into standalone ones, using the conversation so far."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

log = logging.getLogger(__name__)

Turn = tuple[str, str]  # (question, answer text) of an earlier exchange

_PRONOUN = re.compile(
    r"\b(he|she|they|him|her|them|his|hers|their|theirs|it|its|this|that|there)\b", re.I
)
_CONTINUATION = re.compile(
    r"^\s*(?:and|but|also|so|then|what about|how about|and what about)\b[\s,]*", re.I
)
_TIME = re.compile(
    r"\b(?:in|during|since|before|after)\s+(?:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+)?(?:19|20)\d\d\b"
    r"|\b(?:last|this|next)\s+(?:week|month|year)\b|\byesterday\b|\btoday\b",
    re.I,
)
_NAME = re.compile(r"\b(?:[A-Z][\w’'.-]+(?:\s+(?:[A-Z][\w’'.-]+|of|de|al|bin))*)")
_LEADING_WORDS = {
    "What",
    "Who",
    "Where",
    "When",
    "Why",
    "How",
    "Which",
    "Did",
    "Does",
    "Is",
    "Are",
    "Was",
    "Were",
    "Will",
    "The",
    "A",
    "An",
    "As",
    "And",
}
_POSSESSIVE = {"his", "her", "their", "its", "hers", "theirs"}


def main_subject(text: str) -> str | None:
    """The first proper name in a text (a person, place or organisation)."""
    for match in _NAME.finditer(text):
        words = match.group(0).split()
        while words and words[0] in _LEADING_WORDS:
            words = words[1:]
        if words:
            return " ".join(words)
    return None


def needs_rewrite(question: str) -> bool:
    """True when a question leans on the conversation: a pronoun, 'and ...', or a bare date."""
    words = question.split()
    if _CONTINUATION.match(question) or _PRONOUN.search(question):
        return True
    return len(words) <= 4 and bool(_TIME.search(question))


def rewrite_by_rules(question: str, history: Sequence[Turn]) -> str:
    """Rule-based rewrite for the extractive backend: resolve pronouns, carry the topic over."""
    if not history or not needs_rewrite(question):
        return question
    previous_question, previous_answer = history[-1]
    rest = _CONTINUATION.sub("", question).strip()
    new_time = _TIME.search(rest)
    remainder = _TIME.sub("", rest).strip(" ?,.")
    if not remainder or len(remainder.split()) <= 2:
        # "and in 2024?" / "what about Harbor City?": the previous question, with the new detail
        base = (
            _TIME.sub("", previous_question).strip().rstrip("?").strip()
            if new_time
            else previous_question.rstrip("?")
        )
        if remainder:
            subject = main_subject(previous_question)
            base = (
                base.replace(subject, remainder)
                if subject and subject in base
                else f"{base} {remainder}"
            )
        return f"{base} {new_time.group(0)}?" if new_time else f"{base}?"
    subject = main_subject(previous_question) or main_subject(previous_answer)
    if not subject:
        return question

    def replace(match: re.Match[str]) -> str:
        word = match.group(0).lower()
        if word in {"this", "that", "there", "it", "its"} and len(rest.split()) > 6:
            return match.group(0)  # too ambiguous in a long question
        return f"{subject}’s" if word in _POSSESSIVE else subject

    return _PRONOUN.sub(replace, rest, count=1)


def rewrite_with_llm(question: str, history: Sequence[Turn], llm: Any, usage: Any = None) -> str:
    """Ask the LLM for a standalone question (its tokens are added to `usage`); keep the
    original if the reply is unusable."""
    from qa.llm import chat_prompt

    conversation = "\n".join(f"User: {q}\nAssistant: {a[:400]}" for q, a in history[-3:])
    reply = chat_prompt(llm, "rewrite.v1", usage, conversation=conversation, question=question)
    line = reply.strip().splitlines()[0].strip().strip('"') if reply.strip() else ""
    return line if 3 <= len(line.split()) <= 60 else question


def standalone_question(
    question: str, history: Sequence[Turn], llm: Any = None, usage: Any = None
) -> str:
    """The question as it would be asked without the conversation (LLM tokens go to `usage`)."""
    if not history or not needs_rewrite(question):
        return question
    if llm is not None:
        from qa.llm import LLMError

        try:
            return rewrite_with_llm(question, history, llm, usage)
        except LLMError as error:  # the rule-based rewrite is a fair answer when the LLM is down
            log.warning("Rewriting the follow-up by rules: the LLM failed (%s)", error)
    return rewrite_by_rules(question, history)
