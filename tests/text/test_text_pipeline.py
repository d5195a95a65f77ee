"""The text pipeline on the real seed reports, plus properties and bad input."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from hypothesis import given, settings, strategies as st

from govner.errors import GovnerError
from govner.text.prepare import documents_from_file, prepare, sentence_records
from govner.text.clean import clean_text
from govner.text.read import read_report
from govner.text.split import split_sentences
from helpers.paths import EXTRA_FILES, SEED_FILES, SEEDS

BOILERPLATE = ("索引号", "公开方式", "访问次数", "回到顶部", "联系客服", "我的下载", "会员中心", "付费",
               "打印本页", "关闭本页", "分享到", "VIP", "客服微信", "|", "搜索资料", "确认删除")


@pytest.fixture(scope="module")
def seeds():
    docs, records, stats = prepare([str(p) for p in SEED_FILES], progress=False)
    return docs, records, stats


def _seed(prefix):
    return next(p for p in SEED_FILES if p.name.startswith(prefix))


def test_seed_002_is_simplified_without_pinyin(seeds):
    docs, records, _ = seeds
    doc = next(d for d in docs if d.doc_id.startswith("002_"))
    assert "凤桥镇" in doc.text and "鳳" not in doc.text and "鎮" not in doc.text
    assert not re.search(r"[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ]", doc.text)
    assert not re.search(r"[(（][a-z]{1,6}[)）]", doc.text)


def test_seed_004_compendium_splits_into_town_documents(seeds):
    docs, _, stats = seeds
    towns = [d for d in docs if d.doc_id.startswith("004_")]
    # The file is a paywalled preview: its TOC lists 19 reports, only 5 have text.
    assert [d.doc_id.split("-", 1)[1] for d in towns] == ["横沥镇", "六镇镇", "泥溪镇", "平湖镇", "濮院镇"]
    assert all(d.title.endswith("政府工作报告") for d in towns)
    assert any("missing" in w and "震泽镇" in w for w in stats.warnings)
    for d in towns:  # no TOC lines (title + page number) or site text inside a town report
        lines = d.text.split("\n")
        assert "目录" not in lines and "汇编" not in d.text and "联系客服" not in d.text
        assert not any(re.fullmatch(r".{2,30}政府工作报告 \d+", line) for line in lines)


def test_seed_000_keeps_lead_office_notes_attached(seeds):
    _, records, _ = seeds
    raw = _seed("000").read_text(encoding="utf-8")
    n_notes = len(re.findall(r"牵头负责\)", raw))
    sents = [r["text"] for r in records if r["doc_id"].startswith("000_")]
    attached = [s for s in sents if re.search(r"牵头负责\)$", s)]
    assert len(attached) == n_notes > 10
    assert not any(s.startswith("(") and s.endswith("牵头负责)") for s in sents)  # never a sentence alone


def test_no_sentence_contains_boilerplate(seeds):
    _, records, _ = seeds
    for r in records:
        for b in BOILERPLATE:
            assert b not in r["text"], (r["doc_id"], r["sent_idx"], b)


def test_headings_are_sentences_of_their_own(seeds):
    _, records, _ = seeds
    sents = [r["text"] for r in records if r["doc_id"].startswith("000_")]
    assert "(一)聚力提质增效,加快多链融合,塑造产业发展新优势。" in sents
    assert "1.构建现代产业体系。" in sents


def test_offsets_slice_the_cleaned_document(seeds):
    docs, records, _ = seeds
    by_id = {d.doc_id: d for d in docs}
    for r in records:
        assert by_id[r["doc_id"]].text[r["doc_start"]:r["doc_end"]] == r["text"]


def test_extras_have_no_front_matter_or_navigation():
    docs, records, stats = prepare([str(p) for p in EXTRA_FILES], progress=False)
    assert stats.errors == [] and stats.documents == len(EXTRA_FILES)
    jingan = next(d for d in docs if d.doc_id.startswith("shanghai-jingan"))
    assert jingan.metadata["文号"] == "静府办发〔2023〕13号"
    assert not any(r["text"] in ("下载", "打印", "全屏", "收藏", "云南要闻", "关闭窗口") for r in records)
    assert not any(r["text"].startswith("<") for r in records)


# --- splitter rules -------------------------------------------------------------------------

@pytest.mark.parametrize("text,expected", [
    ("总收入1.2亿元。增长10%。", ["总收入1.2亿元。", "增长10%。"]),
    ("他说“今年要做好。明年更好。”然后散会。", ["他说“今年要做好。明年更好。”然后散会。"]),
    ("《关于A。B的通知》已印发。好。", ["《关于A。B的通知》已印发。", "好。"]),
    ("推进项目建设。(工业商贸办、农业农村办牵头负责) 2.下一项。", ["推进项目建设。(工业商贸办、农业农村办牵头负责)", "2.下一项。"]),
    ("完成任务。（发展改革委、财政部负责）", ["完成任务。（发展改革委、财政部负责）"]),
    ("工作如下:(一)抓产业。一、抓民生。", ["工作如下:", "(一)抓产业。", "一、抓民生。"]),
    ("真好！真的吗？是的……走吧", ["真好！", "真的吗？", "是的……", "走吧"]),
    ("第一行\n第二行", ["第一行", "第二行"]),
    ("The plan No. 5 is done. Next one", ["The plan No. 5 is done.", "Next one"]),
])
def test_split_rules(text, expected):
    assert [text[s:e] for s, e in split_sentences(text)] == expected


def test_long_sentence_splits_at_semicolon():
    clause = "加快推进产业转型升级和城市更新建设工作" * 3  # 57 chars
    text = "；".join([clause] * 4) + "。"
    parts = [text[s:e] for s, e in split_sentences(text, max_len=150)]
    assert len(parts) == 2 and all(len(p) <= 150 for p in parts)
    assert "".join(parts) == text
    assert len(split_sentences(text, max_len=1000)) == 1


_ALPHABET = st.sampled_from(list("财政收入增长10%.。！？；;“”《》（）()一、1 \n规上工业项目负责牵头…,"))


@settings(max_examples=300, deadline=None)
@given(st.lists(_ALPHABET, max_size=300).map("".join), st.integers(10, 200))
def test_sentences_rebuild_the_document(text, max_len):
    spans = split_sentences(text, max_len=max_len)
    assert all(0 <= s < e <= len(text) for s, e in spans)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
    rebuilt = "".join(text[s:e] for s, e in spans)
    assert re.sub(r"\s", "", rebuilt) == re.sub(r"\s", "", text)
    assert all(text[s:e] == text[s:e].strip() for s, e in spans)


@settings(max_examples=50, deadline=None)
@given(st.lists(_ALPHABET, min_size=1, max_size=400).map("".join))
def test_records_slice_their_document(text):
    from govner.text.prepare import Document

    doc = Document(doc_id="d", source="s", text=clean_text(text).text)
    for r in sentence_records(doc):
        assert doc.text[r["doc_start"]:r["doc_end"]] == r["text"]


# --- cleaning ------------------------------------------------------------------------------

def test_fullwidth_digits_and_letters_become_halfwidth():
    res = clean_text("增长１０％，ＰＭ２．５浓度下降。")
    assert res.text == "增长10%，PM2.5浓度下降。"  # a full-width point between digits is a decimal point


def test_metadata_rows_become_metadata():
    res = clean_text("索引号: | 002590139/2023-74151 | 公开方式: | 主动公开 |\n正文第一句。")
    assert res.text == "正文第一句。"
    assert res.metadata["索引号"] == "002590139/2023-74151" and res.metadata["公开方式"] == "主动公开"


# --- bad input -----------------------------------------------------------------------------

def test_gbk_file_is_decoded(tmp_path):
    p = tmp_path / "gbk.txt"
    p.write_bytes("财政总收入增长10%。全镇新增市场主体450家。".encode("gbk"))
    assert "财政总收入" in read_report(p)


@pytest.mark.parametrize("name,content,msg", [
    ("missing.txt", None, "no such file"),
    ("", None, "is a directory"),
    ("empty.txt", b"", "empty"),
    ("bin.txt", bytes(range(256)) * 4, "binary"),
    ("x.pdf", b"%PDF-1.4", "unsupported"),
])
def test_bad_inputs_name_the_file(tmp_path, name, content, msg):
    path = tmp_path / name if name else tmp_path
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(GovnerError, match=msg) as exc:
        read_report(path)
    assert str(path) in str(exc.value)


def test_cli_processes_good_files_and_fails_at_end(tmp_path):
    bad = tmp_path / "empty.txt"
    bad.write_bytes(b"")
    out = tmp_path / "s.jsonl"
    proc = subprocess.run([sys.executable, "-m", "govner.cli", "prepare", str(bad), str(_seed("000")),
                           "--out", str(out)], capture_output=True, text=True)
    assert proc.returncode == 1
    assert "empty.txt" in proc.stderr and "Traceback" not in proc.stderr
    rows = [json.loads(l) for l in out.read_text(encoding="utf-8").splitlines()]
    assert rows and set(rows[0]) == {"doc_id", "sent_idx", "text", "doc_start", "doc_end", "source"}
    assert "1 documents" in proc.stdout


def test_docx_input(tmp_path):
    import docx

    d = docx.Document()
    d.add_paragraph("财政总收入增长10%。")
    d.add_paragraph("(工业商贸办牵头负责)")
    p = tmp_path / "r.docx"
    d.save(p)
    docs = documents_from_file(p)
    assert docs[0].text == "财政总收入增长10%。\n(工业商贸办牵头负责)"
