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


SURROGATE_RE = re.compile("[\ud800-\udfff]")


def check_text(text: str, where: str) -> str:
    """``text`` itself, or a GovnerError if it holds a lone surrogate (U+D800..U+DFFF).

    Such a string is not Unicode text: it comes from a JSON ``"\\ud800"`` escape or from bytes
    decoded with ``surrogateescape``, cannot be tokenised and cannot be written as UTF-8.
    """
    m = SURROGATE_RE.search(text)
    if m:
        raise GovnerError(f"{where}: lone surrogate U+{ord(m.group()):04X} at offset {m.start()} "
                          "(not valid Unicode text; fix the encoding of the input)")
    return text


def check_json_text(obj: object, where: str) -> None:
    """:func:`check_text` on every string (keys too) of a parsed JSON value, without recursion."""
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            check_text(item, where)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def decode_bytes(data: bytes, path: str | Path, allow_empty: bool = False) -> str:
    """UTF-8 first (strict), then the GB family; anything else is refused, never guessed into mojibake.

    The one decoder for every input: report files, stdin, JSONL and annotation files (``path``
    only names the source in errors, e.g. ``<stdin>``). A UTF-8 or UTF-16 byte-order mark (what
    Windows editors write) decides the encoding. Input that is blank once decoded is an error,
    or ``""`` with ``allow_empty``.
    """
    text = _decode(data, path)
    if not text.strip():
        if allow_empty:
            return ""
        raise GovnerError(f"{path}: file is empty")
    return text


def _decode(data: bytes, path: str | Path) -> str:
    if data.startswith(_UTF16_BOMS):
        try:
            text = data.decode("utf-16")  # the codec reads and drops the BOM
        except UnicodeDecodeError as exc:
            raise GovnerError(f"{path}: starts with a UTF-16 byte-order mark but is not valid UTF-16 "
                              f"(byte {exc.start})") from None
        return check_text(text, str(path))
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data.strip():
        return ""
    if b"\x00" in data[:4096]:
        raise GovnerError(f"{path}: looks binary (NUL bytes), not a text report")
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


def read_text_file(path: str | Path, allow_empty: bool = False) -> str:
    """A text file decoded by :func:`decode_bytes`; a blank file is ``""`` with ``allow_empty``."""
    path = Path(path)
    if not path.exists():
        raise GovnerError(f"{path}: no such file")
    if path.is_dir():
        raise GovnerError(f"{path}: is a directory, expected a file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise GovnerError(f"{path}: cannot read ({exc.strerror})") from None
    return decode_bytes(data, path, allow_empty)


def html_to_text(html: str) -> str:
    import warnings

    from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning

    with warnings.catch_warnings():  # a short page that "looks like a file name" is still a page
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        soup = BeautifulSoup(html, "lxml")
    for tag in soup(_DROP_TAGS):
        tag.decompose()
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    text = soup.get_text()
    return re.sub(r"\n\s*\n+", "\n", text)


def docx_to_text(path: Path) -> str:
    """Paragraphs, then table rows. Any failure inside python-docx (a truncated zip, broken XML,
    a missing part: each raises its own exception type) means this one file is unreadable, so it
    becomes a GovnerError naming the file and the batch goes on."""
    import docx  # python-docx

    try:
        document = docx.Document(str(path))
        lines = [p.text for p in document.paragraphs]
        for table in document.tables:
            for row in table.rows:
                lines.append(" ".join(cell.text for cell in row.cells))
    except Exception as exc:  # noqa: BLE001 - third-party parser on untrusted bytes
        raise GovnerError(f"{path}: not a readable .docx ({type(exc).__name__}: {exc})") from None
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
    text = read_text_file(path)
    if suffix in (".html", ".htm"):
        text = html_to_text(text)
    if not text.strip():
        raise GovnerError(f"{path}: no text after extraction")
    return text
