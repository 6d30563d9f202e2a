"""Report templates (jinja2). Kept in a module so the installed package always has them."""

from __future__ import annotations

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:1000px;color:#222;padding:0 1em}
table{border-collapse:collapse;margin:.6em 0 1.2em}th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f3f3f3}h2{margin-top:1.6em;border-bottom:1px solid #ddd}
img{max-width:100%;display:block;margin:.5em 0}.muted{color:#666;font-size:12px}code{background:#f5f5f5;padding:1px 3px}
.neg{color:#a40000}.pos{color:#2e7d00}
"""

# an aggregate cell: mean [CI] n/N
CELL = """{% macro cell(e, pct=True) -%}
{%- if e and e.mean is not none -%}{{ fmt(e.mean, pct) }}{% if e.ci95 %} <span class="muted">[{{ fmt(e.ci95[0], pct) }}–{{ fmt(e.ci95[1], pct) }}]</span>{% endif %} <span class="muted">{{ e.n }}/{{ e.n_total }}</span>
{%- else -%}<span class="muted">n/a ({{ e.n if e else 0 }}/{{ e.n_total if e else 0 }})</span>{%- endif -%}
{%- endmacro %}"""

REPORT_HTML = (
    CELL
    + """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>newsqa eval: {{ title }}</title>
<style>{{ style }}</style></head><body>
<h1>newsqa evaluation: {{ title }}</h1>
<p>Retriever <b>{{ config.retriever }}</b>, answer backend <b>{{ summary.answer_backend }}</b>, top-k {{ manifest.settings.top_k }},
{% if config.ignore_dates %}questions asked <b>without</b> an as-of date{% else %}each question asked as of its own date{% endif %}.
Status: {{ manifest.status }}. Commit {{ manifest.git.commit or "unknown" }}{% if manifest.git.dirty %} (uncommitted changes){% endif %}.
Created {{ manifest.created_at }} on {{ manifest.machine.platform }} ({{ manifest.machine.cpus }} CPUs).</p>
<p class="muted">Every figure: mean, [bootstrap 95% CI], questions scored / questions in the run. Dataset <code>{{ manifest.dataset.spec }}</code>,
corpus hash {{ manifest.dataset.corpus_hash[:12] }}; store {{ manifest.store.articles }} articles, {{ manifest.store.chunks }} chunks.</p>
<h2>Counts</h2><table><tr><th>what</th><th>n</th></tr>
{% for k, v in manifest.dataset.stats.items() %}<tr><td>dataset: {{ k }}</td><td>{{ v }}</td></tr>{% endfor %}
{% for k, v in summary.counts.items() %}<tr><td>run: {{ k }}</td><td>{{ v }}</td></tr>{% endfor %}</table>
<h2>Retrieval</h2><table><tr><th>metric</th><th>value</th></tr>
{% for name, e in summary.retrieval.items() %}<tr><td>{{ name }}</td><td>{{ cell(e) }}</td></tr>{% endfor %}</table>
<img alt="Hit@k curve" src="data:image/png;base64,{{ plots.hit_curve }}">
<h2>Answers</h2><table><tr><th>metric</th><th>value</th></tr>
{% for name, e in summary.answers.items() %}<tr><td>{{ name }}</td><td>{{ cell(e) }}</td></tr>{% endfor %}</table>
<p class="muted">containment: a normalised gold answer appears in the answer. multihop_rag_accuracy: MultiHop-RAG's rule (any shared word).
gold_in_evidence: the gold answer appears in the gold passage itself (the ceiling for an extractive answerer).</p>
<h2>Citations</h2><table><tr><th>metric</th><th>value</th></tr>
{% for name, e in summary.citations.items() %}<tr><td>{{ name }}</td><td>{{ cell(e) }}</td></tr>{% endfor %}</table>
{% set j = summary.judge_agreement %}<p>Support judge (qa.verify.check_support):
{% if j.available %}agrees with {{ fmt(j.agreement) }} of {{ j.n }} hand labels ({{ j.labels }}; confusion {{ j.confusion }}).
{% if j.disagreements %}Disagrees on: {% for d in j.disagreements %}{{ d.id }} ({{ d.kind }}){% if not loop.last %}, {% endif %}{% endfor %}.{% endif %}
{% else %}not available: {{ j.reason }}{% endif %}</p>
<h2>Refusals</h2><table><tr><th>metric</th><th>value</th></tr>
<tr><td>correct-refusal rate (unanswerable + evidence removed)</td><td>{{ cell(summary.refusals.correct_refusal_rate) }}</td></tr>
<tr><td>false-refusal rate (answerable)</td><td>{{ cell(summary.refusals.false_refusal_rate) }}</td></tr>
<tr><td>refused, any question</td><td>{{ cell(summary.refusals.refused_any) }}</td></tr></table>
<img alt="refusal confusion matrix" src="data:image/png;base64,{{ plots.refusals }}">
<h2>Latency</h2><table><tr><th>stage</th><th>p50 ms</th><th>p95 ms</th><th>mean ms</th><th>n</th></tr>
{% for stage, p in summary.latency_ms.items() %}<tr><td>{{ stage }}</td><td>{{ num(p.p50) }}</td><td>{{ num(p.p95) }}</td><td>{{ num(p.mean) }}</td><td>{{ p.n }}</td></tr>{% endfor %}</table>
<img alt="latency distribution" src="data:image/png;base64,{{ plots.latency }}">
{% set t = summary.tokens_and_cost %}<h2>Tokens and cost</h2>
{% if t is mapping and t.get("total_tokens") %}<table><tr><th>tokens per answer</th><th>p50</th><th>p95</th><th>mean</th><th>total</th></tr>
{% for key in ("prompt_tokens", "completion_tokens", "total_tokens") %}<tr><td>{{ key }}</td><td>{{ num(t[key].p50) }}</td><td>{{ num(t[key].p95) }}</td><td>{{ num(t[key].mean) }}</td><td>{{ t[key].total }}</td></tr>{% endfor %}</table>
<p>{{ t.answers_with_usage }} of {{ t.responses }} answers used the LLM{% if t.get("estimated") %} ({{ t.estimated }} counted here with tiktoken cl100k_base: the server reported no usage){% endif %}.
Cost: {% if t.get("cost_usd") %}${{ "%.4f"|format(t.cost_usd.total) }} in all, ${{ "%.6f"|format(t.cost_usd.per_answer) }} per answer{% else %}{{ t.note }}{% endif %}.</p>
{% else %}<p class="muted">{{ t.note if t is mapping else t }}</p>{% endif %}
<h2>By tag</h2>
{% for key, groups in summary.by_tag.items() %}<h3>{{ key }}</h3><table><tr><th>{{ key }}</th>{% for m in tag_metrics %}<th>{{ m }}</th>{% endfor %}</tr>
{% for value, metrics in groups.items() %}<tr><td>{{ value }}</td>{% for m in tag_metrics %}<td>{{ cell(metrics[m]) }}</td>{% endfor %}</tr>{% endfor %}</table>
{% if plots.tags[key] %}<img alt="by {{ key }}" src="data:image/png;base64,{{ plots.tags[key] }}">{% endif %}{% endfor %}
{% if summary.get("llm_judge") %}<h2>LLM judge (optional, not part of the numbers above)</h2>
<p>{{ summary.llm_judge.model }}: judged correct {{ cell(summary.llm_judge.correct) }}; {{ summary.llm_judge.failures }} calls failed.</p>{% endif %}
</body></html>"""
)

REPORT_MD = """# newsqa evaluation: {{ title }}

Retriever **{{ config.retriever }}**, answer backend **{{ summary.answer_backend }}**, top-k {{ manifest.settings.top_k }}, {% if config.ignore_dates %}no as-of dates{% else %}as of each question's date{% endif %}. Status {{ manifest.status }}; commit {{ manifest.git.commit or "unknown" }}; {{ manifest.created_at }}.
Values: mean [bootstrap 95% CI] (scored/total).

| counts | n |
|---|---|
{% for k, v in manifest.dataset.stats.items() %}| dataset: {{ k }} | {{ v }} |
{% endfor %}{% for k, v in summary.counts.items() %}| run: {{ k }} | {{ v }} |
{% endfor %}
| metric | value |
|---|---|
{% for name, e in summary.retrieval.items() %}| {{ name }} | {{ md(e) }} |
{% endfor %}{% for name, e in summary.answers.items() %}| {{ name }} | {{ md(e) }} |
{% endfor %}{% for name, e in summary.citations.items() %}| {{ name }} | {{ md(e) }} |
{% endfor %}| correct-refusal rate | {{ md(summary.refusals.correct_refusal_rate) }} |
| false-refusal rate | {{ md(summary.refusals.false_refusal_rate) }} |
{% for stage, p in summary.latency_ms.items() %}| latency {{ stage }} p50 / p95 ms | {{ num(p.p50) }} / {{ num(p.p95) }} |
{% endfor %}{% set t = summary.tokens_and_cost %}{% if t is mapping and t.get("total_tokens") %}| tokens per answer p50 / p95 | {{ num(t.total_tokens.p50) }} / {{ num(t.total_tokens.p95) }} ({{ t.answers_with_usage }}/{{ t.responses }} used the LLM{% if t.get("estimated") %}; {{ t.estimated }} estimated{% endif %}) |
| cost | {% if t.get("cost_usd") %}${{ "%.4f"|format(t.cost_usd.total) }} total, ${{ "%.6f"|format(t.cost_usd.per_answer) }} per answer{% else %}{{ t.note }}{% endif %} |
{% endif %}
Support judge agreement with hand labels: {% if summary.judge_agreement.available %}{{ fmt(summary.judge_agreement.agreement) }} of {{ summary.judge_agreement.n }}{% else %}n/a{% endif %}.

![Hit@k](plots/hit_curve.png)
![Refusals](plots/refusals.png)
![Latency](plots/latency.png)
{% for key, groups in summary.by_tag.items() %}
## By {{ key }}

| {{ key }} |{% for m in tag_metrics %} {{ m }} |{% endfor %}
|---|{% for m in tag_metrics %}---|{% endfor %}
{% for value, metrics in groups.items() %}| {{ value }} |{% for m in tag_metrics %} {{ md(metrics[m]) }} |{% endfor %}
{% endfor %}
![by {{ key }}](plots/tag_{{ key }}.png)
{% endfor %}"""

COMPARE_HTML = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>newsqa compare</title>
<style>{{ style }}</style></head><body><h1>{{ b }} vs {{ a }}</h1>
<p>A = <code>{{ a }}</code> ({{ config_a }}), B = <code>{{ b }}</code> ({{ config_b }}).
Deltas are B − A over the {{ shared }} questions both runs answered, with paired bootstrap 95% CIs.</p>
<table><tr><th>metric</th><th>A</th><th>B</th><th>B − A (paired)</th><th>95% CI</th><th>n paired</th></tr>
{% for r in rows %}<tr><td>{{ r.metric }}</td><td>{{ fmt(r.a) }}</td><td>{{ fmt(r.b) }}</td>
<td class="{{ 'neg' if (r.delta or 0) < 0 else 'pos' }}">{{ sfmt(r.delta) }}</td><td>{% if r.ci95 %}[{{ sfmt(r.ci95[0]) }}, {{ sfmt(r.ci95[1]) }}]{% endif %}</td><td>{{ r.n }}</td></tr>{% endfor %}</table>
<img alt="deltas" src="data:image/png;base64,{{ plot }}">
<img alt="Hit@k curves" src="data:image/png;base64,{{ curve }}">
</body></html>"""

COMPARE_MD = """# {{ b }} vs {{ a }}

Deltas are B − A over the {{ shared }} questions both runs answered (paired bootstrap 95% CI).

| metric | A | B | B − A | 95% CI | n |
|---|---|---|---|---|---|
{% for r in rows %}| {{ r.metric }} | {{ fmt(r.a) }} | {{ fmt(r.b) }} | {{ sfmt(r.delta) }} | {% if r.ci95 %}[{{ sfmt(r.ci95[0]) }}, {{ sfmt(r.ci95[1]) }}]{% endif %} | {{ r.n }} |
{% endfor %}
![deltas](compare_deltas.png)
"""
