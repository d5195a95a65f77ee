"""One self-contained HTML page per document: the text with its entities highlighted, the tables beside it.

Why a page and not only the table: an analyst checks a number by reading the sentence it came
from. Each table row links to its sentence (``#s-<sent_idx>``; the target sentence is outlined),
and every highlighted span uses the label's colour from :mod:`govner.schema`, the same colours
annotators see in Label Studio. No scripts, fonts or files are loaded from anywhere: the page
is one file that can be mailed. All document text is HTML-escaped.
"""
from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from govner.fileio import atomic_write_text
from govner.schema import BY_CODE, LABELS

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def page_name(doc_id: str) -> str:
    """A file name for a document's page (doc ids may hold Chinese characters; those are kept)."""
    name = _UNSAFE.sub("_", str(doc_id)).lstrip(".") or "document"
    return f"{name}.html"


def _esc(x: Any) -> str:
    return "" if x is None else html.escape(str(x), quote=True)


def _css() -> str:
    marks = "\n".join(
        f'mark.ent[data-label="{l.code}"], .legend [data-label="{l.code}"] '
        f"{{ background: {l.colour}2e; border-bottom: 2px solid {l.colour}; }}"
        for l in LABELS)
    return f"""
* {{ box-sizing: border-box; }}
body {{ margin: 0; font-family: "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
  "Microsoft YaHei", sans-serif; color: #222; }}
/* two fixed panes: following a row's link scrolls the text pane only, never the page */
#text {{ position: fixed; top: 0; bottom: 0; left: 0; width: 46%; overflow: auto; padding: 1rem 1.5rem;
  line-height: 1.9; }}
#tables {{ position: fixed; top: 0; bottom: 0; right: 0; width: 54%; overflow: auto; padding: 1rem;
  border-left: 1px solid #ddd; background: #fafafa; font-size: 13px; }}
h1 {{ font-size: 1.15rem; margin: 0 0 .3rem; }}
h2 {{ font-size: 1rem; margin: 1.2rem 0 .4rem; }}
.meta {{ color: #666; font-size: 12px; margin-bottom: .6rem; }}
.doc {{ white-space: pre-wrap; }}
.sent {{ border-radius: 3px; scroll-margin-top: 40vh; }}
.sent:target {{ outline: 2px solid #f5b800; background: #fff4c2; }}
mark.ent {{ color: inherit; padding: 0 1px; border-radius: 2px; }}
.legend span {{ display: inline-block; padding: 0 .4em; margin-right: .4em; border-radius: 2px; font-size: 12px; }}
{marks}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; vertical-align: top; padding: 3px 6px; border-bottom: 1px solid #e4e4e4; }}
th {{ position: sticky; top: 0; background: #f0f0f0; font-weight: 600; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }}
tr:hover td {{ background: #fff8dc; }}
a.sent-link {{ color: #0b57d0; text-decoration: none; }}
.none {{ color: #aaa; }}
.lead {{ font-weight: 700; }}
"""


def _mark(label: str, text: str) -> str:
    zh = BY_CODE[label].zh if label in BY_CODE else label
    return f'<mark class="ent" data-label="{_esc(label)}" title="{_esc(zh)} {_esc(label)}">{_esc(text)}</mark>'


def _sentence_html(sent: dict, entities: list[dict]) -> str:
    text = sent["text"]
    out, pos = [], 0
    for e in sorted(entities, key=lambda e: (e["start"], e["end"])):
        if e["start"] < pos:  # overlapping spans (never from the tagger): show the first
            continue
        out.append(_esc(text[pos:e["start"]]))
        out.append(_mark(e["label"], text[e["start"]:e["end"]]))
        pos = e["end"]
    out.append(_esc(text[pos:]))
    return f'<span class="sent" id="s-{int(sent["sent_idx"])}">{"".join(out)}</span>'


def _text_html(sentences: list[dict], entity_lists: list[list[dict]], doc_text: str | None) -> str:
    parts: list[str] = []
    pos = 0
    for k, (sent, ents) in enumerate(zip(sentences, entity_lists)):
        start = sent.get("doc_start")
        if doc_text is not None and start is not None and start >= pos:
            parts.append(_esc(doc_text[pos:start]))
            pos = sent.get("doc_end", start + len(sent["text"]))
        elif k:
            parts.append("\n")
        parts.append(_sentence_html(sent, ents))
    if doc_text is not None and pos < len(doc_text):
        parts.append(_esc(doc_text[pos:]))
    return "".join(parts)


def _fmt_number(x: float | None) -> str:
    if x is None:
        return ""
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.6g}"


def _link(sent_idx: int) -> str:
    return f'<a class="sent-link" href="#s-{int(sent_idx)}">§{int(sent_idx)}</a>'


def _cell(label: str, text: str | None) -> str:
    return _mark(label, text) if text else '<span class="none">—</span>'


def _measures_table(rows: list[dict]) -> str:
    head = ("<tr><th>句</th><th>指标 indicator</th><th>数值 value</th><th>number</th><th>low–high</th>"
            "<th>unit</th><th>change</th><th>bound</th><th>period</th></tr>")
    body = []
    for r in rows:
        rng = f"{_fmt_number(r['low'])}–{_fmt_number(r['high'])}" if r.get("low") is not None else ""
        body.append(
            f'<tr class="row-measure" data-sent="{int(r["sent_idx"])}"><td>{_link(r["sent_idx"])}</td>'
            f"<td>{_cell('INDICATOR', r['indicator'])}</td><td>{_cell('VALUE', r['value'])}</td>"
            f'<td class="num">{_esc(_fmt_number(r["number"]))}</td><td class="num">{_esc(rng)}</td>'
            f"<td>{_esc(r['unit'])}</td><td>{_esc(r['change'])}</td><td>{_esc(r['bound'])}</td>"
            f"<td>{_esc(r['period'])}</td></tr>")
    return f'<table id="measures">{head}{"".join(body)}</table>'


def _assignments_table(rows: list[dict]) -> str:
    head = "<tr><th>句</th><th>牵头单位 offices</th><th>task</th></tr>"
    body = []
    for r in rows:
        offices = "、".join(
            (f'<span class="lead">{_mark("LEAD_OFFICE", o)}</span>' if lead else _mark("LEAD_OFFICE", o))
            for o, lead in zip(r["offices"], r["leads"]))
        task = r["task"] if len(r["task"]) <= 80 else r["task"][:79] + "…"
        body.append(f'<tr class="row-assignment" data-sent="{int(r["sent_idx"])}"><td>{_link(r["sent_idx"])}</td>'
                    f"<td>{offices}</td><td>{_esc(task)}</td></tr>")
    return f'<table id="assignments">{head}{"".join(body)}</table>'


def _projects_table(rows: list[dict]) -> str:
    head = "<tr><th>句</th><th>项目 project</th><th>stage</th></tr>"
    body = [f'<tr class="row-project" data-sent="{int(r["sent_idx"])}"><td>{_link(r["sent_idx"])}</td>'
            f"<td>{_cell('PROJECT', r['project'])}</td><td>{_esc(r['stage'])}</td></tr>" for r in rows]
    return f'<table id="projects">{head}{"".join(body)}</table>'


def render_document(doc_id: str, sentences: list[dict], entity_lists: list[list[dict]], rows: list[dict],
                    doc_text: str | None = None, title: str = "", model: str = "") -> str:
    """The page for one document: its sentences (records), their entities and its table rows."""
    by_kind = {k: [r for r in rows if r["kind"] == k] for k in ("measure", "assignment", "project")}
    legend = "".join(f'<span data-label="{_esc(l.code)}">{_esc(l.zh)} {_esc(l.code)}</span>' for l in LABELS)
    n_ents = sum(len(e) for e in entity_lists)
    meta = (f"{_esc(doc_id)} · {len(sentences)} sentences · {n_ents} entities"
            + (f" · tagger: {_esc(model)}" if model else ""))
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="govner extract">
<title>{_esc(title or doc_id)} — govner extract</title>
<style>{_css()}</style>
</head>
<body>
<main id="text">
<h1>{_esc(title or doc_id)}</h1>
<div class="meta">{meta}</div>
<p class="legend">{legend}</p>
<div class="doc">{_text_html(sentences, entity_lists, doc_text)}</div>
</main>
<aside id="tables">
<h2>指标与数值 · measures ({len(by_kind["measure"])})</h2>
{_measures_table(by_kind["measure"])}
<h2>牵头单位 · assignments ({len(by_kind["assignment"])})</h2>
{_assignments_table(by_kind["assignment"])}
<h2>项目 · projects ({len(by_kind["project"])})</h2>
{_projects_table(by_kind["project"])}
</aside>
</body>
</html>
"""


def render_index(pages: list[tuple[str, str, dict[str, int]]]) -> str:
    """A list of the pages: (doc_id, file name, rows per kind)."""
    items = "".join(
        f'<tr><td><a href="{_esc(name)}">{_esc(doc_id)}</a></td><td class="num">{c.get("measure", 0)}</td>'
        f'<td class="num">{c.get("assignment", 0)}</td><td class="num">{c.get("project", 0)}</td></tr>'
        for doc_id, name, c in pages)
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>govner extract</title>
<style>body {{ font-family: sans-serif; margin: 2rem; }} td, th {{ padding: 2px 10px; text-align: left; }}
td.num {{ text-align: right; }}</style></head>
<body><h1>govner extract</h1><table><tr><th>document</th><th>measures</th><th>assignments</th>
<th>projects</th></tr>{items}</table></body></html>
"""


def write_pages(out_dir: str | Path, docs: list[dict], model: str = "") -> list[Path]:
    """Write one page per document (dicts with doc_id, sentences, entities, rows, text, title) and index.html."""
    out_dir = Path(out_dir)
    written, index = [], []
    used: set[str] = set()
    for d in docs:
        name = page_name(d["doc_id"])
        stem, n = name[:-5], 1
        while name in used or name == "index.html":
            n += 1
            name = f"{stem}-{n}.html"
        used.add(name)
        page = render_document(d["doc_id"], d["sentences"], d["entities"], d["rows"], d.get("text"),
                               d.get("title", ""), model)
        atomic_write_text(out_dir / name, page)
        written.append(out_dir / name)
        counts: dict[str, int] = {}
        for r in d["rows"]:
            counts[r["kind"]] = counts.get(r["kind"], 0) + 1
        index.append((d["doc_id"], name, counts))
    atomic_write_text(out_dir / "index.html", render_index(index))
    return written
