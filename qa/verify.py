"""Offline support check: does a passage back a claim? Key facts must be found, meaning must match.

A claim is supported when every number, date part, name and quoted phrase in it appears in
the passages, its content words are mostly there, its negation agrees with the closest
passage sentence, and MiniLM finds a passage sentence close in meaning. No network, no LLM.
"""

from __future__ import annotations

import html
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np

from qa.text import STOPWORDS, content_words, split_sentences

MIN_COVERAGE = 0.4  # share of the claim's content stems the passages must hold, at least
MIN_SIMILARITY = 0.5  # MiniLM cosine between the claim and its closest passage sentence, at least
MIN_SCORE = 0.6  # and the two together (equal weights) must reach this

_TAG = re.compile(r"<[^>]+>")
_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?")
_QUOTED = re.compile(r"[\"“”]([^\"“”]{2,80})[\"“”]")
_TOKEN = re.compile(r"[A-Za-zÀ-ÿ0-9][A-Za-zÀ-ÿ0-9'’]*")
_MONTHS = {
    "january": "jan", "february": "feb", "march": "mar", "april": "apr", "may": "may",
    "june": "jun", "july": "jul", "august": "aug", "september": "sep", "sept": "sep",
    "october": "oct", "november": "nov", "december": "dec",
    "jan": "jan", "feb": "feb", "mar": "mar", "apr": "apr", "jun": "jun", "jul": "jul",
    "aug": "aug", "sep": "sep", "oct": "oct", "nov": "nov", "dec": "dec",
}  # fmt: skip
_NUMBER_WORDS = {
    "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
    "seven": "7", "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12",
    "twenty": "20", "thirty": "30", "hundred": "100", "dozen": "12",
}  # fmt: skip
NEGATIONS = frozenset(
    [
        "not",
        "no",
        "never",
        "none",
        "nobody",
        "nothing",
        "neither",
        "nor",
        "without",
        "cannot",
        "n't",
        "denied",
        "denies",
        "deny",
        "rejected",
        "rejects",
        "refused",
        "refuses",
        "failed",
        "fails",
    ]
)


@dataclass(frozen=True)
class SupportVerdict:
    """Whether passages support a claim, and why not when they do not."""

    supported: bool
    score: float  # 0..1: similarity and word coverage combined
    missing: list[str] = field(default_factory=list)  # numbers, dates, names, quotes not found
    similarity: float = 0.0  # MiniLM cosine to the closest passage sentence (0 without a model)
    coverage: float = 0.0  # share of the claim's content words found in the passages
    negation_mismatch: bool = False


def plain_text(text: str) -> str:
    """Text as a reader sees it: HTML tags dropped, entities decoded, quotes and spaces unified."""
    text = html.unescape(_TAG.sub(" ", text))
    text = text.replace("’", "'").replace("‘", "'").replace("\u00a0", " ").replace("%", " percent")
    text = re.sub(r"(?i)\bno one\b", "nobody", text)  # "one" here is no number
    return re.sub(r"\s+", " ", text).strip()


def _normal_tokens(text: str) -> list[str]:
    """Lower-cased tokens, possessives dropped, number words as digits, months abbreviated."""
    tokens = []
    for raw in _TOKEN.findall(plain_text(text).replace(",", "")):
        token = raw.lower().replace("’", "'")
        token = re.sub(r"'s$", "", token).strip("'-")
        token = _NUMBER_WORDS.get(token, _MONTHS.get(token, token))
        token = re.sub(r"^(\d+)(st|nd|rd|th)$", r"\1", token)
        if token:
            tokens.append(token)
    return tokens


def key_items(claim: str) -> list[str]:
    """The claim's checkable facts: numbers, month names, proper names and quoted phrases."""
    text = plain_text(claim)
    items: list[str] = []
    for match in _NUMBER.finditer(text):
        items.append(match.group(0).replace(",", "").rstrip("."))
    words = list(_TOKEN.finditer(text))
    for i, match in enumerate(words):
        word = match.group(0)
        lowered = word.lower().replace("’", "'")
        # "May" is left out: as often the verb as the month
        if lowered in _MONTHS and word[0].isupper() and lowered != "may":
            items.append(_MONTHS[lowered])
        elif lowered in _NUMBER_WORDS:
            items.append(_NUMBER_WORDS[lowered])
        elif word[0].isupper() and lowered not in STOPWORDS and lowered not in _MONTHS:
            # a capital that only opens a sentence is no sign of a name
            opens = (
                not text[: match.start()].strip() or text[: match.start()].rstrip()[-1] in ".:!?("
            )
            next_is_name = i + 1 < len(words) and words[i + 1].group(0)[0].isupper()
            if not opens or next_is_name or (word.isupper() and len(word) > 1):
                items.append(re.sub(r"['’]s$", "", word))
    items.extend(m.group(1).strip() for m in _QUOTED.finditer(text))
    return list(dict.fromkeys(items))


def missing_key_items(claim: str, passages: list[str]) -> tuple[list[str], list[str]]:
    """The claim's key items (numbers, dates, names, quotes), and those no passage holds."""
    items = key_items(claim)
    tokens = [t for p in passages for t in [*_normal_tokens(p), "\x00"]]
    return items, [item for item in items if not _contains(tokens, item)]


def _contains(haystack: list[str], item: str) -> bool:
    needle = _normal_tokens(item)
    if not needle:
        return True
    n = len(needle)
    return any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def _stems(text: str) -> set[str]:
    return set(_stemmer().stemWords(content_words(plain_text(text))))


# verbs and adjectives that state opposite outcomes: a claim saying one where its closest
# passage clause says the other (and not the first) contradicts it
_ANTONYMS = [
    ("approve", "reject"), ("approve", "cancel"), ("approve", "veto"), ("approve", "block"),
    ("accept", "reject"), ("accept", "decline"), ("allow", "ban"), ("allow", "forbid"),
    ("allow", "prohibit"), ("legalise", "ban"), ("legalize", "ban"), ("win", "lose"),
    ("won", "lost"), ("victory", "defeat"), ("rise", "fall"), ("rose", "fell"),
    ("increase", "decrease"), ("increase", "cut"), ("raise", "cut"), ("raise", "lower"),
    ("gain", "loss"), ("resign", "appoint"), ("hire", "fire"), ("convict", "acquit"),
    ("guilty", "innocent"), ("confirm", "deny"), ("survive", "die"), ("alive", "dead"),
    ("arrest", "release"), ("support", "oppose"), ("expand", "shrink"), ("grow", "shrink"),
    ("higher", "lower"), ("launch", "cancel"), ("resume", "suspend"), ("lift", "impose"),
]  # fmt: skip


@lru_cache(maxsize=1)
def _antonym_stems() -> dict[str, set[str]]:
    opposite: dict[str, set[str]] = {}
    for a, b in _ANTONYMS:
        a_stem, b_stem = _stemmer().stemWord(a), _stemmer().stemWord(b)
        opposite.setdefault(a_stem, set()).add(b_stem)
        opposite.setdefault(b_stem, set()).add(a_stem)
    return opposite


def opposed_outcomes(first: str, second: str) -> bool:
    """Either text states an outcome whose opposite the other states."""
    return _opposed(first, second) or _opposed(second, first)


def _opposed(claim: str, clause: str) -> bool:
    """The claim states an outcome whose opposite (not itself) is what the clause states."""
    claim_stems, clause_stems = _stems(claim), _stems(clause)
    opposite = _antonym_stems()
    return any(
        stem not in clause_stems and opposite.get(stem, set()) & (clause_stems - claim_stems)
        for stem in claim_stems
    )


def _negated(text: str) -> bool:
    lowered = plain_text(text).lower().replace("’", "'")
    return "n't" in lowered or any(t in NEGATIONS for t in re.findall(r"[a-z']+", lowered))


_VECTORS: OrderedDict[tuple[int, str], np.ndarray] = OrderedDict()
_CACHE_SIZE = 8192


def _unit_vectors(embed_model: Any, texts: list[str]) -> np.ndarray:
    """Unit vectors, each text embedded on its own and cached: a text's vector never depends on
    the batch it came with, so verdicts do not depend on what was checked before."""
    rows = []
    for text in texts:
        key = (id(embed_model), text)
        vector = _VECTORS.get(key)
        if vector is None:
            if hasattr(embed_model, "embed"):  # MiniLMEmbedding
                raw = np.asarray(embed_model.embed([text])[0], dtype=np.float32)
            else:
                raw = np.asarray(embed_model.get_text_embedding(text), dtype=np.float32)
            vector = raw / max(float(np.linalg.norm(raw)), 1e-12)
            _VECTORS[key] = vector
            if len(_VECTORS) > _CACHE_SIZE:
                _VECTORS.popitem(last=False)
        else:
            _VECTORS.move_to_end(key)
        rows.append(vector)
    return np.vstack(rows)


_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_SHORT_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_SHORT_DATE = re.compile(
    r"\b(\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* (\d{4})\b"
)


def _header_date(passage: str) -> date | None:
    """The publication date a passage's header line gives (ISO or '5 Sep 2023'), if any."""
    header = passage.split("\n", 1)[0] if "\n" in passage else ""
    try:
        if iso := _ISO_DATE.search(header):
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
        if short := _SHORT_DATE.search(header):
            month = _SHORT_MONTHS.index(short[2]) + 1
            return date(int(short[3]), month, int(short[1]))
    except ValueError:
        return None
    return None


def strip_verified_date_notes(claim: str, passages: list[str]) -> str:
    """Drop "(4 Sep 2023)" after "Monday" in the claim when a passage says "Monday" and its
    publication date makes that Monday 4 Sep 2023: the note is checked, not just found."""
    from qa.ingest.relative_dates import resolve_relative_dates
    from qa.text import describe_resolved_date

    for passage in passages:
        published = _header_date(passage)
        if published is None:
            continue
        body = passage.split("\n", 1)[1]
        for phrase, value in resolve_relative_dates(body, published).items():
            note = re.escape(describe_resolved_date(value))
            claim = re.sub(rf"(?i)(?<![\w-])({re.escape(phrase)})\s*\({note}\)", r"\1", claim)
    return claim


def check_support(claim: str, passages: list[str], embed_model: Any | None) -> SupportVerdict:
    """Judge whether `passages` (taken together) support `claim`; offline and deterministic."""
    claim = strip_verified_date_notes(claim, [p for p in passages if p])
    passages = [plain_text(p) for p in passages if p and p.strip()]
    if not passages or not plain_text(claim):
        return SupportVerdict(supported=False, score=0.0, missing=key_items(claim))
    tokens = [t for p in passages for t in [*_normal_tokens(p), "\x00"]]
    missing = [item for item in key_items(claim) if not _contains(tokens, item)]
    claim_stems = _stems(claim)
    passage_stems = set().union(*(_stems(p) for p in passages))
    coverage = len(claim_stems & passage_stems) / len(claim_stems) if claim_stems else 1.0
    sentences = [s for p in passages for s in split_sentences(p)] or passages
    closest = _closest_sentence(sentences, claim_stems)
    similarity = 0.0
    if embed_model is not None:
        vectors = _unit_vectors(embed_model, [plain_text(claim), *sentences, " ".join(passages)])
        cosines = vectors[1:] @ vectors[0]
        best = int(np.argmax(cosines[:-1]))
        similarity = float(max(cosines.max(), 0.0))  # best of: any sentence, the passages whole
        closest = sentences[best]
    clause = _closest_clause(closest, claim_stems)
    mismatch = _negated(claim) != _negated(clause) or _opposed(claim, clause)
    # without a model the score is coverage alone, judged against the same bar
    score = (similarity + coverage) / 2 if embed_model is not None else coverage
    supported = (
        not missing
        and not mismatch
        and coverage >= MIN_COVERAGE
        and score >= MIN_SCORE
        and (embed_model is None or similarity >= MIN_SIMILARITY)
    )
    return SupportVerdict(
        supported, round(score, 4), missing, round(similarity, 4), round(coverage, 4), mismatch
    )


def _closest_clause(sentence: str, claim_stems: set[str]) -> str:
    """The clause of a sentence nearest the claim: a negation elsewhere in it is not about the claim."""
    clauses = [
        c for c in re.split(r"[;,]|\s(?:but|while|although|though)\s", sentence) if c.strip()
    ]
    return _closest_sentence(clauses, claim_stems) if clauses else sentence


def _closest_sentence(sentences: list[str], claim_stems: set[str]) -> str:
    """The passage sentence sharing most content words with the claim (ties: the first)."""
    return max(sentences, key=lambda s: len(claim_stems & _stems(s)))
