"""Reading report files into text: encodings, HTML and .docx.

Chinese government files are often GBK/GB18030 and web pages are HTML fragments; every
failure names the file so a batch of hundreds of reports can be fixed one by one.
"""
from __future__ import annotations

import re
from pathlib import Path

from govner.errors import GovnerError

SUPPORTED = (".txt", ".html", ".htm", ".docx")

# Tags whose text is never report content.
_DROP_TAGS = ("script", "style", "nav", "header", "footer", "noscript", "iframe", "form", "button", "select")
# Tags that end a line when flattened (everything else is inline).
_BLOCK_TAGS = ("p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section",
               "article", "blockquote", "dd", "dt", "ul", "ol", "td", "th")


def decode_bytes(data: bytes, path: Path) -> str:
    """UTF-8 first (strict), then the GB family; anything else is refused, never guessed into mojibake."""
    if not data.strip():
        raise GovnerError(f"{path}: file is empty")
    if b"\x00" in data[:4096]:
        raise GovnerError(f"{path}: looks binary (NUL bytes), not a text report")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")  # superset of GBK and GB2312
    except UnicodeDecodeError as exc:
        raise GovnerError(
            f"{path}: not UTF-8, GBK or GB18030 (undecodable byte at offset {exc.start})") from None
    han = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    if han < max(1, len(text) // 20):
        raise GovnerError(f"{path}: decodes as GB18030 but contains almost no Chinese text; wrong encoding?")
    return text


def html_to_text(html: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "lxml")
    for tag in soup(_DROP_TAGS):
        tag.decompose()
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    text = soup.get_text()
    return re.sub(r"\n\s*\n+", "\n", text)


def docx_to_text(path: Path) -> str:
    import docx  # python-docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError) as exc:
        raise GovnerError(f"{path}: not a readable .docx ({exc})") from None
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append(" ".join(cell.text for cell in row.cells))
    return "\n".join(lines)


def read_report(path: str | Path) -> str:
    """The raw text of one report file."""
    path = Path(path)
    if not path.exists():
        raise GovnerError(f"{path}: no such file")
    if path.is_dir():
        raise GovnerError(f"{path}: is a directory, expected a report file")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise GovnerError(f"{path}: unsupported file type {suffix or '(none)'}; expected one of {', '.join(SUPPORTED)}")
    if suffix == ".docx":
        if path.stat().st_size == 0:
            raise GovnerError(f"{path}: file is empty")
        return docx_to_text(path)
    text = decode_bytes(path.read_bytes(), path)
    if suffix in (".html", ".htm"):
        text = html_to_text(text)
    if not text.strip():
        raise GovnerError(f"{path}: no text after extraction")
    return text
