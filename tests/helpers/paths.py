"""Where the shared, read-only project inputs live (../shared beside the checkout)."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = (ROOT.parent / "shared").resolve()
SEEDS = SHARED / "seeds"
EXTRA = SHARED / "reports" / "extra"
SEED_FILES = sorted(SEEDS.glob("*.txt"))
EXTRA_FILES = sorted(list(EXTRA.glob("*.txt")) + list(EXTRA.glob("*.html")))
FIXTURES = ROOT / "tests" / "fixtures"
