"""From entities to tables: measures (indicator–value pairs), assignments and projects.

``measures``/``parse_value`` are the API of DESIGN.md; ``govner extract`` (``cli.py``) runs the
tagger over reports and writes the three record kinds as one table. Pure Python: importing
this package never loads torch.
"""
from __future__ import annotations

from govner.extract.link import measures
from govner.extract.numbers import parse_value
from govner.extract.period import find_period
from govner.extract.records import assignments, projects, states_lead_first

__all__ = ["assignments", "find_period", "measures", "parse_value", "projects", "states_lead_first"]
