"""Cleaning raw report text into the document text that annotators and the model see.

Every rule here was written against a real seed or extra report: web page furniture
(navigation words, paywall notices, share/print buttons), metadata header rows with `|`
table pipes, Markdown front matter, pinyin glosses after traditional characters, and
full-width digits. Metadata rows are not thrown away: they become document metadata.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

# Header rows such as `索引号: | 002590139/2023-74151 | 公开方式: | 主动公开 |`.
METADATA_KEYS = (
    "索引号", "公开方式", "公开日期", "发布单位", "文号", "成文日期", "发布时间", "发布日期", "发表时间",
    "访问次数", "阅读量", "浏览次数", "信息来源", "来源", "时间", "标题", "层级", "类型", "分类", "状态",
    "官方链接", "主题分类", "发文机关", "生效日期", "字号", "字体",
)
_META_RE = re.compile(r"(%s)\s*[:：]" % "|".join(sorted(METADATA_KEYS, key=len, reverse=True)))

# Whole lines that are navigation or page furniture (compared after stripping spaces and pipes).
NAV_LINES = frozenset("""
下载 打印 全屏 收藏 加大 还原 减小 】 【 大 中 小 分享 分享： 分享到 分享到: 分享到： 打印关闭 打印 关闭
回到顶部 返回顶部 联系客服 我的下载 搜索资料 会员中心 确认删除? 确认删除？ 您可能关注的文档 相关报道 相关报道：
相关链接 当前位置 当前位置： 首页 > 您的位置: 您的位置： 电脑桌面 添加公寻网到电脑桌面 安装后可以在桌面快捷访问
【打印本页】【关闭本页】 【打印本页】 【关闭本页】 扫一扫在手机打开当前页 责任编辑 上一篇 下一篇 --- 【字号： 【字体：
关闭窗口 相关文档 相关文档： 分享到微信 × 政务信息
""".split())
# Fragments that mark a line as a site notice (paywall, copyright, customer service).
NOTICE_RE = re.compile(
    r"付费|下载文档|VIP|联系客服|客服微信|违规举报|本站所有内容|文档内容仅供|侵犯著作权|使用权限|打印本页|关闭本页"
    r"|扫一扫|本文正文由脚本|不适用著作权法|以\[官方链接\]|^本报记者.{0,12}摄$|^.{2,4}要闻$")
_WORD_RE = re.compile(r"[0-9A-Za-z\u3400-\u9fff]")

# Pinyin glosses after a Han character: `鎮(zhèn)`, `區(qū)`; seed 002 also has glosses whose
# character was lost in the source (`?qū)`, a line starting `yōu)`). A tone mark makes a
# Latin group a gloss wherever it stands; a toneless one only right after a Han character.
_PY = "a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü"
_TONES = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
PINYIN_GLOSS_RE = re.compile(
    rf"\s?[?？]?[(（]?[{_PY}]*[{_TONES}][{_PY}]*[)）]"
    rf"|(?<=[\u3400-\u9fff])\s?[(（][{_PY}]{{1,6}}[)）]")

_FULLWIDTH = {**{chr(0xFF10 + i): chr(0x30 + i) for i in range(10)},
              **{chr(0xFF21 + i): chr(0x41 + i) for i in range(26)},
              **{chr(0xFF41 + i): chr(0x61 + i) for i in range(26)},
              "％": "%", "\u3000": " ", "\xa0": " ", "\u2002": " ", "\u2003": " ", "\u200b": "",
              "\ufeff": ""}
_FULLWIDTH_TABLE = str.maketrans(_FULLWIDTH)
_TERMINAL_RE = re.compile(r"[。！？；，,]")
_SPACES_RE = re.compile(r"[ \t\r\f\v]+")
# A space next to CJK punctuation carries nothing.
_PUNCT_SPACE_RE = re.compile(r" (?=[，。、；：！？”’）》】,;:!?)])|(?<=[，。、；：！？“‘（《【,;:!?(]) ")


@dataclass
class CleanResult:
    text: str
    metadata: dict[str, str] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)  # reason -> lines
    converted_traditional: bool = False
    #: for each line of ``text``, its line number (1-based) in the raw input, for messages
    line_numbers: list[int] = field(default_factory=list)

    def drop(self, reason: str, n: int = 1) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + n


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> tuple[str, bool]:
    """Convert only documents that are really traditional: t2s is not the identity on simplified text."""
    conv = _t2s().convert(text)
    changed = sum(a != b for a, b in zip(text, conv))
    han = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff") or 1
    if changed / han >= 0.02:
        return conv, True
    return text, False


#: `５．２％`: once the digits are folded, a full-width full stop between two digits is a
#: decimal point (`5.2%`), or the rules and the model would see `5` and `2%`.
_DECIMAL_POINT_RE = re.compile(r"(?<=[0-9])．(?=[0-9])")


def normalize_width(text: str) -> str:
    """Full-width digits, letters and ％ to ASCII, odd spaces to " ", zero-width characters
    dropped, and a full-width decimal point between digits to "."."""
    return _DECIMAL_POINT_RE.sub(".", text.translate(_FULLWIDTH_TABLE))


def normalize_width_with_map(text: str) -> tuple[str, list[int] | None]:
    """:func:`normalize_width`, plus for each output character its index in ``text``.

    Returns ``None`` as the map when nothing changed (the common case, kept cheap). The
    decimal-point rule replaces one character by one, so it is applied after the
    character-by-character fold without touching the map.
    """
    folded = normalize_width(text)
    if folded == text:
        return text, None
    chars: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        for out in ch.translate(_FULLWIDTH_TABLE):
            chars.append(out)
            index.append(i)
    return _DECIMAL_POINT_RE.sub(".", "".join(chars)), index


def _metadata_pairs(line: str) -> dict[str, str]:
    """`索引号: | X | 公开方式: | Y |` -> {索引号: X, 公开方式: Y}."""
    cells = [c.strip() for c in re.split(r"\|", line)]
    flat = " ".join(c for c in cells if c)
    out: dict[str, str] = {}
    matches = list(_META_RE.finditer(flat))
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(flat)
        out[m.group(1)] = flat[m.end():end].strip()
    return out


def _is_metadata_line(line: str) -> bool:
    m = _META_RE.match(line.lstrip("|> #*-").strip())
    # A metadata row is short and starts with a key; a sentence that merely mentions 来源 is not.
    return bool(m) and len(line) <= 160


def clean_text(raw: str) -> CleanResult:
    res = CleanResult(text="")
    raw = unicodedata.normalize("NFC", raw)
    raw = PINYIN_GLOSS_RE.sub("", raw)
    raw, res.converted_traditional = to_simplified(raw)
    raw = normalize_width(raw)
    lines: list[str] = []
    in_front_matter = False
    pending_key: str | None = None
    for i, line in enumerate(raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")):
        stripped = line.strip()
        if stripped == "---" and (i == 0 or in_front_matter):  # Markdown front matter
            in_front_matter = not in_front_matter
            continue
        if in_front_matter:
            res.metadata.update(_metadata_pairs(stripped) or {})
            res.drop("front matter")
            continue
        if _is_metadata_line(stripped):
            pairs = _metadata_pairs(stripped)
            res.metadata.update(pairs)
            res.drop("metadata row")
            # `来源:` alone on its line: the value is the next short line
            pending_key = next((k for k, v in pairs.items() if not v), None) if len(pairs) == 1 else None
            continue
        if pending_key and len(stripped) <= 20 and not _TERMINAL_RE.search(stripped) and not stripped.startswith("【"):
            res.metadata[pending_key] = stripped.strip("| ")
            res.drop("metadata row")
            pending_key = None
            continue
        pending_key = None
        line = line.replace("|", " ")
        line = re.sub(r"^\s*(#{1,6}\s+|>\s*)", "", line)  # Markdown heading / quote markers
        line = _SPACES_RE.sub(" ", line).strip()
        line = _PUNCT_SPACE_RE.sub("", line)
        if not line:
            continue
        compact = line.replace(" ", "")
        if compact in NAV_LINES or compact.startswith(("【字号", "【字体")):
            res.drop("navigation")
            continue
        if NOTICE_RE.search(line):
            res.drop("site notice")
            continue
        if not _WORD_RE.search(compact):
            res.drop("punctuation only")
            continue
        if re.fullmatch(r"\d{1,3}", compact):
            res.drop("table row number")
            continue
        if re.fullmatch(r"\d{4}[-年]\d{1,2}[-月]\d{1,2}日?(\s*\d{1,2}[:时]\d{2}(:\d{2}|分)?)?", compact):
            res.drop("dateline")
            continue
        lines.append(line)
        res.line_numbers.append(i + 1)
    res.text = "\n".join(lines)
    return res
