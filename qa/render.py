"""Safe rendering of answers and untrusted article text as Markdown, and the passage highlights.

Everything an article or a user supplies goes through `escape_markdown`, so a title or a
passage renders as literal text: no HTML, no images, no links, no Markdown directives.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz

from qa.text import content_words, split_sentences

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&\"'])")
ALIGN_MIN_SCORE = 85.0  # rapidfuzz partial ratio: a passage sentence quoted inside the claim
QUOTE_MIN_SCORE = 95.0  # the claim quoted inside a longer passage sentence (near verbatim)
DENSE_SHARE = 0.5  # matched words per word above which their whole stretch is highlighted
HIGHLIGHT = "yellow-background"
Span = tuple[int, int]


# GFM turns bare "http://…", "www.…" and "a@b.c" in *text* into links after escapes are
# resolved; an invisible word joiner inside the pattern keeps them plain text
_AUTOLINK_TRIGGERS = re.compile(r"(?i)(?<=https)(?=:)|(?<=http)(?=:)|(?<=www)(?=\.)|(?<=@)")
WORD_JOINER = "\u2060"


def escape_markdown(text: str) -> str:
    """Escape every Markdown/HTML control character so the text renders literally, inert."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", _AUTOLINK_TRIGGERS.sub(WORD_JOINER, text))


def citation_badges(numbers: Iterable[int]) -> str:
    """Inline citation chips for a sentence: `[1][2]` as small badges."""
    return "".join(f":blue-badge[{int(n)}]" for n in numbers)


def answer_markdown(sentences: Sequence[Mapping[str, Any]]) -> str:
    """An answer as Markdown: escaped sentences, [n] chips, unsupported sentences marked."""
    parts = []
    for sentence in sentences:
        piece = escape_markdown(str(sentence["text"]))
        if sentence.get("supported") is False:
            piece = f":red-background[{piece}] :red-badge[unsupported]"
        citations = sentence.get("citations") or []
        if citations:
            piece += " " + citation_badges(citations)
        parts.append(piece)
    return " ".join(parts)


# ---- highlights -----------------------------------------------------------------------------


def support_spans(passage: str, claims: Iterable[str]) -> list[Span]:
    """Character spans of `passage` that back the claims: the quoted stretch, else their words."""
    spans: list[Span] = []
    for claim in claims:
        spans.extend(_claim_spans(passage, claim))
    return merge_spans(spans)


def _claim_spans(passage: str, claim: str) -> list[Span]:
    core = claim.strip().rstrip(".!?;:").strip()
    if not core or not passage:
        return []
    lowered = passage.lower()
    found = lowered.find(core.lower())
    if found >= 0:
        return [(found, found + len(core))]
    aligned = _aligned_span(passage, core)
    return [aligned] if aligned else _word_spans(passage, claim)


def _aligned_span(passage: str, claim: str) -> Span | None:
    """The passage stretch the claim quotes, even with words around it or small changes."""
    best: tuple[float, Span] | None = None
    lowered, claim_lower = passage.lower(), claim.lower()
    for start, end in _sentence_spans(passage):
        sentence = lowered[start:end].rstrip(".!?;: ")
        if not sentence:
            continue
        if len(sentence) <= len(claim_lower):  # the passage sentence inside the claim
            found = fuzz.partial_ratio_alignment(sentence, claim_lower)
            span, needed = (start, start + len(sentence)), ALIGN_MIN_SCORE
        else:  # the claim inside a longer passage sentence: near verbatim only
            found = fuzz.partial_ratio_alignment(claim_lower, sentence)
            if found is None:
                continue
            span = _snap_to_words(passage, start + found.dest_start, start + found.dest_end)
            # the window is as long as the claim: stretch it over claim words just outside it
            hits = [h for h in _claim_word_hits(passage, claim, start, end) if h[0] >= span[0] - 40]
            span = (min([span[0], *(h[0] for h in hits)]), max([span[1], *(h[1] for h in hits)]))
            needed = QUOTE_MIN_SCORE
        if found is None:
            continue
        # a short sentence matches anywhere: weigh the score by how much of the claim it covers
        coverage = min(1.0, (span[1] - span[0]) / max(len(claim_lower), 1))
        weight = found.score * coverage
        if found.score >= needed and coverage >= 0.5 and (best is None or weight > best[0]):
            best = (weight, span)
    return best[1] if best else None


def _snap_to_words(text: str, start: int, end: int) -> Span:
    """Widen a span so it neither starts nor ends inside a word."""
    while start > 0 and text[start - 1].isalnum() and text[start].isalnum():
        start -= 1
    while end < len(text) and text[end - 1].isalnum() and text[end].isalnum():
        end += 1
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _sentence_spans(passage: str) -> list[Span]:
    spans: list[Span] = []
    cursor = 0
    for sentence in split_sentences(passage):
        start = passage.find(sentence, cursor)
        if start < 0:
            continue
        spans.append((start, start + len(sentence)))
        cursor = start + len(sentence)
    return spans or [(0, len(passage))]


def _claim_word_hits(passage: str, claim: str, start: int, end: int) -> list[Span]:
    """Where the claim's content words occur in passage[start:end]."""
    words = sorted(set(content_words(claim)), key=len, reverse=True)
    if not words:
        return []
    pattern = re.compile(
        r"(?<![\w])(?:" + "|".join(re.escape(w) for w in words) + r")(?![\w])", re.IGNORECASE
    )
    return [(start + m.start(), start + m.end()) for m in pattern.finditer(passage[start:end])]


def _word_spans(passage: str, claim: str) -> list[Span]:
    """A paraphrase: the claim's content words inside the passage sentence that holds most."""
    best: list[Span] = []
    for start, end in _sentence_spans(passage):
        hits = _claim_word_hits(passage, claim, start, end)
        if len({passage[a:b].lower() for a, b in hits}) > len(
            {passage[a:b].lower() for a, b in best}
        ):
            best = hits
    if not best:
        return []
    stretch = (best[0][0], best[-1][1])
    words_in_stretch = len(re.findall(r"\w+", passage[stretch[0] : stretch[1]]))
    return [stretch] if len(best) / max(words_in_stretch, 1) >= DENSE_SHARE else best


def merge_spans(spans: Iterable[Span]) -> list[Span]:
    """Sorted, non-overlapping spans (touching ones joined)."""
    merged: list[Span] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def highlighted_markdown(passage: str, spans: Sequence[Span]) -> str:
    """The passage as escaped Markdown with the spans highlighted (never raw HTML)."""
    out: list[str] = []
    cursor = 0
    for start, end in merge_spans(spans):
        out.append(escape_markdown(passage[cursor:start]))
        # a directive cannot cross a line break: highlight each line of the span on its own
        pieces = []
        for line in re.split(r"(\n+)", passage[start:end]):
            if line.strip():
                lead = len(line) - len(line.lstrip())
                tail = len(line.rstrip())
                pieces.append(
                    escape_markdown(line[:lead])
                    + f":{HIGHLIGHT}[{escape_markdown(line[lead:tail])}]"
                    + escape_markdown(line[tail:])
                )
            else:
                pieces.append(line)
        out.append("".join(pieces))
        cursor = end
    out.append(escape_markdown(passage[cursor:]))
    return "".join(out).replace("\n", "  \n")


# ---- sources, grouped -----------------------------------------------------------------------


@dataclass
class SourceGroup:
    """Retrieved passages of one story: one article, or near-duplicates sharing a `story_id`."""

    key: str
    sources: list[dict[str, Any]] = field(default_factory=list)

    @property
    def numbers(self) -> list[int]:
        return sorted(int(s["n"]) for s in self.sources)

    @property
    def lead(self) -> dict[str, Any]:
        """The passage that represents the group: its best-scored one."""
        return max(self.sources, key=lambda s: (_score(s), -int(s["n"])))

    @property
    def outlets(self) -> list[str]:
        """Every outlet that carried the story: the retrieved ones first, then their copies."""
        return story_outlets(self.sources)

    @property
    def newest(self) -> str:
        return max((s.get("published_at") or "" for s in self.sources), default="")

    @property
    def best_score(self) -> float:
        return max(_score(s) for s in self.sources)


def story_outlets(sources: Iterable[Mapping[str, Any]]) -> list[str]:
    """The outlets of these sources and of the near-duplicate copies each stands for."""
    seen: list[str] = []
    for source in sources:
        for outlet in [
            source.get("source") or "unknown outlet",
            *(source.get("story_outlets") or []),
        ]:
            if outlet not in seen:
                seen.append(outlet)
    return seen


def _score(source: Mapping[str, Any]) -> float:
    score = source.get("score")
    return float(score) if score is not None else float("-inf")


def group_sources(
    sources: Iterable[Mapping[str, Any]], order: str = "relevance"
) -> list[SourceGroup]:
    """Group retrieved sources by story (`story_id`, else article); order by relevance or date."""
    groups: dict[str, SourceGroup] = {}
    for source in sources:
        key = str(source.get("story_id") or f"article:{source.get('article_id')}")
        groups.setdefault(key, SourceGroup(key)).sources.append(dict(source))
    result = list(groups.values())
    if order == "newest":
        # unknown dates last; among equal dates the more relevant first
        result.sort(key=lambda g: (g.newest != "", g.newest, g.best_score), reverse=True)
    else:
        result.sort(key=lambda g: (-g.best_score, g.numbers[0]))
    return result


def sentences_citing(sentences: Iterable[Mapping[str, Any]], n: int) -> list[str]:
    """The answer sentences that cite source n."""
    return [str(s["text"]) for s in sentences if n in (s.get("citations") or [])]


def safe_link(url: str | None) -> str | None:
    """The URL if it is a plain web link (http/https), else None: no javascript: or data: links."""
    if url and re.match(r"(?i)^https?://[^\s<>\"']+$", url.strip()):
        return url.strip()
    return None


def verdict_tag(sentence: Any) -> str:
    """A terminal tag for a checked sentence: " ⟨verified [1]⟩", " ⟨unsupported⟩", or ""."""
    if sentence.supported is True:
        return " ⟨verified " + "".join(f"[{int(n)}]" for n in sentence.citations) + "⟩"
    if sentence.supported is False:
        return " ⟨unsupported⟩"
    return ""


def streaming_markdown(written: str, checked: Sequence[Any], n_sources: int) -> str:
    """The answer while it streams: checked sentences as in the final answer (chips, unsupported
    marked), the sentence still being written after them as escaped text."""
    from qa.cite import parse_answer

    done = answer_markdown(
        [{"text": s.text, "citations": s.citations, "supported": s.supported} for s in checked]
    )
    rest = parse_answer(written, n_sources=n_sources).sentences[len(checked) :]
    tail = escape_markdown(" ".join(s.render() for s in rest))
    return " ".join(part for part in (done, tail) if part)
