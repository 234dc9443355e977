"""The leaderboard's search syntax (from its FAQ), turned into a parameterised SQL condition.

``;`` separates terms. A plain term matches the model name (case-insensitive substring); plain terms
are OR'ed. ``Hub License: X`` filters the license and is AND'ed with the name terms. Order is irrelevant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

LICENSE_TERM = re.compile(r"^\s*hub\s*license\s*:\s*(.*)$", re.I)
MAX_QUERY = 1000


class SearchError(ValueError):
    pass


@dataclass(frozen=True)
class Search:
    names: tuple[str, ...] = ()
    licenses: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)

    def sql(self, name_key: str = "model_key", license_key: str = "license_key") -> tuple[list[str], list]:
        """(conditions, parameters) on lower-cased name and license columns (the leaderboard tables store
        them as ``model_key`` and ``license_key``, sparing lower() on every row)."""
        clauses, params = [], []
        if self.licenses:  # first: a comparison is cheaper than a text search, which then sees fewer rows
            clauses.append("(" + " OR ".join(f"{license_key} = ?" for _ in self.licenses) + ")")
            params.extend(x.lower() for x in self.licenses)
        if self.names:
            clauses.append("(" + " OR ".join(f"contains({name_key}, ?)" for _ in self.names) + ")")
            params.extend(n.lower() for n in self.names)
        return clauses, params


def parse_search(text: str | None) -> Search:
    if not text:
        return Search()
    if not isinstance(text, str):
        raise SearchError("search: expected text")
    if len(text) > MAX_QUERY:
        raise SearchError(f"search: at most {MAX_QUERY} characters")
    names, licenses = [], []
    for term in text.split(";"):
        term = term.strip()
        if not term:
            continue
        match = LICENSE_TERM.match(term)
        if match:
            value = match.group(1).strip()
            if not value:
                raise SearchError("search: 'Hub License:' needs a license after the colon, e.g. 'Hub License: mit'")
            licenses.append(value)
        else:
            names.append(term)
    return Search(tuple(sorted(set(names))), tuple(sorted(set(licenses))))
