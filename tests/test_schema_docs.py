"""Docs tables are derived from the schema; this keeps README from drifting."""
from govner.schema import BIO_TAGS, LABEL_CODES, markdown_table
from helpers.paths import ROOT, SHARED


def test_readme_label_table_matches_schema():
    assert markdown_table() in (ROOT / "README.md").read_text(encoding="utf-8")


def test_schema_matches_annotation_guide():
    guide = (SHARED / "ANNOTATION_GUIDE.md").read_text(encoding="utf-8")
    for code in LABEL_CODES:
        assert f"`{code}`" in guide
    assert BIO_TAGS[0] == "O" and len(BIO_TAGS) == 1 + 2 * len(LABEL_CODES)
