"""Rendering helpers: escaping untrusted text, answer chips, passage highlights, source groups."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from qa.render import (
    WORD_JOINER,
    answer_markdown,
    escape_markdown,
    group_sources,
    highlighted_markdown,
    merge_spans,
    safe_link,
    support_spans,
)

RENDER = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
PASSAGE = (
    "The Riverton city council voted 9-2 on Tuesday to approve a new tram line linking the "
    "central station to the airport. Construction is expected to begin in March 2024 and cost "
    "about 420 million euros, according to the transport department. Mayor Elena Ruiz said the "
    "line would cut the journey to the airport to 18 minutes."
)


def highlighted(passage: str, claim: str) -> list[str]:
    return [passage[a:b] for a, b in support_spans(passage, [claim])]


def plain(html: str) -> str:
    text = re.sub(r"<[^>]+>", "", html).replace(WORD_JOINER, "")
    return (
        text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
    )


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=200))
def test_escaped_text_renders_as_one_paragraph_of_the_same_text(text: str) -> None:
    text = " ".join(text.split())  # whitespace is Markdown's to collapse
    html = RENDER.render(escape_markdown(text))
    tags = set(re.findall(r"</?\s*([a-zA-Z]+)", html))
    assert tags <= {"p"}, (text, html)
    assert plain(html).strip() == text.strip()


def test_escaping_stops_images_links_html_and_bare_autolinks() -> None:
    hostile = "<script>x()</script> <img src=x onerror=y()> ![t](http://evil/t.png) [a](javascript:z) www.evil.com a@evil.com"
    html = RENDER.render(escape_markdown(hostile))
    assert not re.search(r"<(script|img|a)\b", html)
    # GFM linkifies bare http://, www. and e-mail addresses after escapes: a word joiner stops it
    escaped = escape_markdown("see http://evil/x and https://e and www.evil.com, mail a@b.c")
    assert "http\u2060\\:" in escaped and "https\u2060\\:" in escaped
    assert "www\u2060\\." in escaped and "a@\u2060b" in escaped


def test_answer_markdown_adds_citation_chips_and_marks_unsupported_sentences() -> None:
    text = answer_markdown(
        [
            {"text": "It costs 420 million euros.", "citations": [1, 2], "supported": True},
            {"text": "It is *free*.", "citations": [3], "supported": False},
            {"text": "No source.", "citations": [], "supported": None},
        ]
    )
    assert "It costs 420 million euros\\. :blue-badge[1]:blue-badge[2]" in text
    assert ":red-background[It is \\*free\\*\\.] :red-badge[unsupported] :blue-badge[3]" in text
    assert text.endswith("No source\\.")


def test_quoted_sentence_is_highlighted_even_with_a_prefix_before_it() -> None:
    claim = "As of 3 Oct 2023 (Riverton Gazette): Construction is expected to begin in March 2024 and cost about 420 million euros, according to the transport department."
    assert highlighted(PASSAGE, claim) == [
        "Construction is expected to begin in March 2024 and cost about 420 million euros, "
        "according to the transport department"
    ]


def test_paraphrase_highlights_the_supporting_words() -> None:
    assert highlighted(PASSAGE, "The tram line will cost about 420 million euros.") == [
        "cost about 420 million euros"
    ]
    words = highlighted(PASSAGE, "The council voted 9-2 to approve the tram line to the airport.")
    assert {"council", "9-2", "approve", "tram", "airport"} <= set(words)


def test_near_verbatim_claim_is_highlighted_to_its_last_matching_word() -> None:
    claim = "Mayor Elena Ruiz said the line would cut the journey to 18 minutes."
    assert highlighted(PASSAGE, claim) == [
        "Mayor Elena Ruiz said the line would cut the journey to the airport to 18 minutes"
    ]


def test_claim_with_nothing_in_the_passage_highlights_nothing() -> None:
    assert highlighted(PASSAGE, "Bananas are yellow.") == []
    assert highlighted("", "Anything.") == []


@given(st.text(max_size=300), st.lists(st.text(max_size=120), max_size=4))
def test_spans_stay_inside_the_passage_sorted_and_apart(passage: str, claims: list[str]) -> None:
    spans = support_spans(passage, claims)
    assert all(0 <= a < b <= len(passage) for a, b in spans)
    assert all(spans[i][1] < spans[i + 1][0] for i in range(len(spans) - 1))


def test_merge_spans_joins_overlapping_and_touching_spans() -> None:
    assert merge_spans([(5, 8), (0, 2), (2, 3), (7, 10), (12, 12)]) == [(0, 3), (5, 10)]


def test_highlighted_passage_is_escaped_and_split_at_line_breaks() -> None:
    passage = "Line <b>one</b>\n\nLine two [x](y)"
    text = highlighted_markdown(passage, [(5, 25)])
    assert text == (
        "Line :yellow-background[\\<b\\>one\\</b\\>]  \n  \n:yellow-background[Line two] \\[x\\]\\(y\\)"
    )
    assert not re.search(r"<(b|a)\b", RENDER.render(text))


def source(n: int, article: str, score: float, date: str | None, **extra: object) -> dict:
    return {"n": n, "article_id": article, "score": score, "published_at": date,
            "source": extra.pop("outlet", "Outlet"), **extra}  # fmt: skip


def test_sources_group_by_story_and_article() -> None:
    groups = group_sources(
        [
            source(1, "a", 0.9, "2023-01-01", outlet="Coast Herald", story_id="s1",
                   story_outlets=["Bay Times", "Coast Herald"]),
            source(2, "b", 0.8, "2023-03-01"),
            source(3, "a", 0.5, "2023-01-01", outlet="Coast Herald", story_id="s1"),
            source(4, "c", 0.7, None),
        ]
    )  # fmt: skip
    assert [g.numbers for g in groups] == [[1, 3], [2], [4]]
    assert groups[0].outlets == ["Coast Herald", "Bay Times"]
    assert groups[0].lead["n"] == 1


def test_sources_newest_first_puts_unknown_dates_last() -> None:
    sources = [source(1, "a", 0.9, "2023-01-01"), source(2, "b", 0.1, None),
               source(3, "c", 0.5, "2023-06-01T10:00:00+00:00")]  # fmt: skip
    assert [g.numbers for g in group_sources(sources, "newest")] == [[3], [1], [2]]
    assert [g.numbers for g in group_sources(sources, "relevance")] == [[1], [3], [2]]


def test_only_plain_web_links_are_links() -> None:
    assert safe_link("https://example.org/a?b=c") == "https://example.org/a?b=c"
    assert safe_link("http://example.org") == "http://example.org"
    for bad in ["javascript:alert(1)", "data:text/html,x", "//evil", "https://x y", None, ""]:
        assert safe_link(bad) is None


def test_streaming_markdown_marks_checked_sentences_and_escapes_the_rest() -> None:
    from qa.cite import CitedSentence
    from qa.render import streaming_markdown, verdict_tag

    checked = [
        CitedSentence("It costs 420 million euros.", [1], True),
        CitedSentence("It carries 9 million people.", [], False),
    ]
    written = "It costs 420 million euros [1]. It carries 9 million people [1]. Work <b>starts"
    shown = streaming_markdown(written, checked, n_sources=3)
    assert shown.startswith("It costs 420 million euros\\. :blue-badge[1]")
    assert ":red-badge[unsupported]" in shown
    assert shown.endswith("Work \\<b\\>starts")  # the sentence being written: inert text
    assert verdict_tag(checked[0]) == " ⟨verified [1]⟩"
    assert verdict_tag(checked[1]) == " ⟨unsupported⟩"
    assert verdict_tag(CitedSentence("The articles do not say.")) == ""
