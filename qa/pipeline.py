"""The newsqa API the CLI, the web app and the evaluation harness all use."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import NodeWithScore, QueryBundle

from qa.answer import (
    Answer,
    SentenceChecked,
    StreamEvent,
    StreamingAnswer,
    add_staleness_notice,
    build_messages,
    checked_sentences,
    finish_llm_answer,
)
from qa.conversation import standalone_question
from qa.decompose import split_question
from qa.embed import MiniLMEmbedding, build_embed_model
from qa.extractive import answer_extractively
from qa.grounding import SentenceVerifier
from qa.indexing import IngestReport, ProgressCallback, build_fetcher, index_articles
from qa.ingest import Article, IngestFailure, load_articles
from qa.lexical import LexicalIndexCache, bump_generation
from qa.query import read_question
from qa.retrieve import RetrievalConfig, RetrievalFilters, build_retriever, end_of_day, start_of_day
from qa.settings import Settings
from qa.store import ArticleRecord, NewsStore

if TYPE_CHECKING:
    from qa.llm import TokenUsage

log = logging.getLogger(__name__)

Turn = tuple[str, str]  # (question, answer text) of an earlier exchange
UNDATED_RECENCY_PRIOR = 0.5  # see NewsQA._retrieval_offset


def stored_names(wanted: Sequence[str], known: Sequence[str]) -> tuple[str, ...]:
    """The stored names (outlets, sections) that those asked for match in any case; a name
    matching none is kept as asked, so that it filters everything out rather than nothing."""
    names: list[str] = []
    for name in wanted:
        matches = [k for k in known if k.casefold() == name.casefold()] or [name]
        names.extend(m for m in matches if m not in names)
    return tuple(names)


class NewsQA:
    """One collection of news articles: ingest into it, ask questions of it."""

    def __init__(
        self,
        settings: Settings,
        *,
        embed_model: BaseEmbedding | None = None,
        llm: Any = None,
        chroma_client: Any = None,
    ) -> None:
        self.settings = settings
        self.embed_model = embed_model if embed_model is not None else build_embed_model(settings)
        self._llm = llm
        self._llm_built = llm is not None
        self.store = NewsStore(settings, self.embed_model, client=chroma_client)
        self.lexical = LexicalIndexCache(self.store.collection, settings.lexical_path)

    # ---- ingestion -------------------------------------------------------------------------
    def ingest(
        self,
        inputs: Iterable[str | Path],
        *,
        field_map: dict[str, str] | None = None,
        progress: ProgressCallback | None = None,
    ) -> IngestReport:
        """Load, chunk, embed and store articles; bad inputs are reported, good ones kept."""
        items = load_articles(inputs, field_map=field_map, fetcher=build_fetcher(self.settings))
        return self.ingest_articles(items, progress=progress)

    def ingest_articles(
        self, items: Iterable[Article | IngestFailure], *, progress: ProgressCallback | None = None
    ) -> IngestReport:
        """Store already-loaded articles (or record the failures among them)."""
        # bumped before and after: a reader that indexed a half-done run sees it is stale
        bump_generation(self.store.collection)
        try:
            return index_articles(self.store, items, self.settings, progress=progress)
        finally:
            bump_generation(self.store.collection)

    def articles(
        self,
        *,
        sources: Sequence[str] = (),
        since: date | None = None,
        until: date | None = None,
    ) -> list[ArticleRecord]:
        """The articles in the collection, newest first: all, or those of these outlets and dates."""
        records = self.store.list_articles(
            sources=sources,
            published_from=start_of_day(since) if since else None,
            published_to=end_of_day(until) if until else None,
        )
        return sorted(records, key=lambda r: r.published_at or "", reverse=True)

    def remove(self, article_ids: Iterable[str]) -> None:
        """Delete articles and their chunks from the store and the lexical index."""
        self.store.remove_articles(article_ids)
        bump_generation(self.store.collection)

    # ---- questions -------------------------------------------------------------------------
    @property
    def llm(self) -> Any:
        if not self._llm_built:
            from qa.llm import build_llm

            self._llm = build_llm(self.settings)
            self._llm_built = True
        return self._llm

    @property
    def backend(self) -> str:
        return self.settings.resolved_answer_backend()

    def retrieve(
        self,
        question: str,
        *,
        as_of: date | None = None,
        since: date | None = None,
        sources: tuple[str, ...] = (),
        sections: tuple[str, ...] = (),
        top_k: int | None = None,
        usage: TokenUsage | None = None,
        notices: list[str] | None = None,
    ) -> list[NodeWithScore]:
        """The passages a question is answered from: at most top_k, within the date, outlet and
        section filters (outlets and sections match the stored names in any case). The tokens
        of LLM calls made to find them (splitting, reranking) are added to `usage`; what the
        user should know about how they were found (a reranker that failed) to `notices`."""
        # the snapshot is read in dense mode too: it knows the names the question may use
        # (loaded from disk, or rebuilt once after the collection changes)
        index = self.lexical.current()
        filters = RetrievalFilters(
            as_of=end_of_day(as_of) if as_of else None,
            published_from=start_of_day(since) if since else None,
            sources=stored_names(sources, index.outlets),
            sections=stored_names(sections, index.sections),
        )
        config = self.retrieval_config(top_k)
        reference = as_of or datetime.now(UTC).date()
        intent = read_question(
            question,
            reference=reference,
            known_outlets=index.outlets,
            known_sections=index.sections,
        )
        if config.decompose and (llm := self._decomposing_llm()) is not None:
            intent = replace(intent, parts=split_question(question, llm, usage))
        from qa.rerank import build_postprocessors

        rerankers, finishers = build_postprocessors(
            self.settings, self.store, lambda: self.llm, usage
        )
        retriever = build_retriever(
            self.store,
            self.lexical,
            config=config,
            filters=filters,
            intent=intent,
            rerankers=rerankers,
            finishers=finishers,
        )
        nodes = retriever.retrieve(QueryBundle(question))
        if notices is not None:
            notices.extend(n for reranker in rerankers for n in getattr(reranker, "notices", ()))
        return nodes

    def retrieval_config(self, top_k: int | None = None) -> RetrievalConfig:
        return RetrievalConfig.from_settings(self.settings, top_k)

    def _decomposing_llm(self) -> Any:
        """The LLM that splits multi-part questions (NEWSQA_DECOMPOSE=auto with an LLM backend);
        None: the rules split them."""
        if self.settings.decompose != "auto" or self.backend == "extractive":
            return None
        from qa.llm import LLMError

        try:
            return self.llm
        except LLMError as error:  # answering reports it to the user; retrieval goes on by rules
            log.warning("Splitting questions by rules: %s", error)
            return None

    def ask(
        self,
        question: str,
        *,
        as_of: date | None = None,
        since: date | None = None,
        sources: tuple[str, ...] = (),
        sections: tuple[str, ...] = (),
        top_k: int | None = None,
        history: Sequence[Turn] = (),
    ) -> Answer:
        """Answer a question from the collection, with citations."""
        return self.ask_stream(
            question,
            as_of=as_of,
            since=since,
            sources=sources,
            sections=sections,
            top_k=top_k,
            history=history,
        ).result()

    def ask_stream(
        self,
        question: str,
        *,
        as_of: date | None = None,
        since: date | None = None,
        sources: tuple[str, ...] = (),
        sections: tuple[str, ...] = (),
        top_k: int | None = None,
        history: Sequence[Turn] = (),
    ) -> StreamingAnswer:
        """Like ask(), but the answer's text streams as it is written."""
        started = time.perf_counter()
        asked = question
        llm_answers = self.backend != "extractive"
        # every LLM call made for this answer (rewrite, split, answer) is counted in its usage
        usage = _new_usage() if llm_answers else None
        if history:  # a follow-up is answered as the standalone question it stands for
            question = standalone_question(
                question, history, self.llm if llm_answers else None, usage
            )
        rewritten = time.perf_counter()
        notices: list[str] = []
        nodes = self.retrieve(
            question,
            as_of=as_of,
            since=since,
            sources=sources,
            sections=sections,
            top_k=top_k,
            usage=usage,
            notices=notices,
        )
        retrieved = time.perf_counter()

        def stamp(answer: Answer) -> Answer:
            done = time.perf_counter()
            answer.question = asked
            answer.standalone_question = question if question != asked else None
            answer.as_of = as_of.isoformat() if as_of else None
            for note in notices:  # e.g. a reranker that failed: the passages are unreranked
                answer.notice = f"{answer.notice} {note}" if answer.notice else note
            add_staleness_notice(answer, nodes, as_of)
            answer.timings_ms = {
                "rewrite": (rewritten - started) * 1000,
                "retrieve": (retrieved - rewritten) * 1000,
                "answer": (done - retrieved) * 1000,
                "total": (done - started) * 1000,
            }
            return answer

        if usage is None:
            answer = self._extractive(question, nodes, as_of)
            return StreamingAnswer(checked_sentences(answer), lambda _text: stamp(answer))
        return self._llm_stream(question, nodes, as_of, stamp, usage)

    def _extractive(
        self, question: str, nodes: list[NodeWithScore], as_of: date | None = None
    ) -> Answer:
        embed = self.embed_model if isinstance(self.embed_model, MiniLMEmbedding) else None
        return answer_extractively(
            question,
            nodes,
            embed,
            min_score=self.settings.min_answer_score,
            max_sentences=self.settings.max_answer_sentences,
            retrieval_offset=self._retrieval_offset(question, as_of),
        )

    def _retrieval_offset(self, question: str, as_of: date | None) -> float:
        """What the refusal decision adds to a passage's retrieval score so that it reads on the
        scale it was calibrated on (hybrid fusion with the recency prior, as-of questions): a
        question asked with no date gets no recency prior, and is scored as if its passage
        were one half-life old (an assumption: the harness asks every question as of a date)."""
        s = self.settings
        if s.retriever == "bm25":
            return 0.0
        offset = s.fusion_lexical_weight if s.retriever == "dense" else 0.0
        reference = as_of or datetime.now(UTC).date()
        time_aware = s.retriever == "hybrid" and (
            as_of is not None
            or read_question(question, reference=reference, known_outlets=[]).wants_recent
        )
        return offset + (0.0 if time_aware else s.recency_weight * UNDATED_RECENCY_PRIOR)

    def _llm_stream(
        self,
        question: str,
        nodes: list[NodeWithScore],
        as_of: date | None,
        stamp: Callable[[Answer], Answer],
        usage: TokenUsage,
    ) -> StreamingAnswer:
        from qa.llm import LLMUnavailableError, chat_stream

        llm = self.llm  # a misconfigured backend is reported even when nothing was retrieved
        if not nodes:
            answer = self._extractive(question, nodes, as_of)
            answer.backend = self.backend
            if usage.calls:  # the rewrite or the split still cost tokens
                answer.usage = usage.as_dict(self.settings)
            return StreamingAnswer(checked_sentences(answer), lambda _text: stamp(answer))
        messages = build_messages(
            question,
            nodes,
            prompt_name=self.settings.answer_prompt,
            as_of=as_of,
            today=datetime.now(UTC).date(),
            max_sentences=max(3, self.settings.max_answer_sentences),
        )
        failure: list[str] = []
        verifier = SentenceVerifier(nodes, self.embed_model)

        def events() -> Iterator[StreamEvent]:
            # each sentence is checked as soon as the next one begins, while the model writes on
            reply = ""
            try:
                for delta in chat_stream(llm, messages, usage):
                    reply += delta
                    # the check comes before the delta that began the next sentence, so a
                    # reader shows the verdict right after the sentence it is about
                    for index, sentence in verifier.feed(reply):
                        yield SentenceChecked(index, sentence)
                    yield delta
            except LLMUnavailableError as error:
                failure.append(str(error))
                return
            for index, sentence in verifier.feed(reply, final=True):
                yield SentenceChecked(index, sentence)

        def finish(reply: str) -> Answer:
            if failure:
                answer = self._extractive(question, nodes, as_of)
                answer.notice = f"{failure[0]} Showing the extractive answer instead."
                return stamp(answer)
            answer = finish_llm_answer(question, reply, nodes, self.backend)
            verifier.apply(answer.sentences)
            answer.text = " ".join(sentence.render() for sentence in answer.sentences)
            answer.usage = usage.as_dict(self.settings)
            return stamp(answer)

        return StreamingAnswer(events(), finish)


def _new_usage() -> TokenUsage:
    from qa.llm import TokenUsage  # imported with the first LLM answer (it loads the OpenAI client)

    return TokenUsage()
