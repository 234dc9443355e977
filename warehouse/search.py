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

    def sql(self, name_col: str = "model_id", license_col: str = "license") -> tuple[str, list]:
        clauses, params = [], []
        if self.names:
            clauses.append("(" + " OR ".join(f"contains(lower({name_col}), ?)" for _ in self.names) + ")")
            params.extend(n.lower() for n in self.names)
        if self.licenses:
            clauses.append("(" + " OR ".join(f"lower(coalesce({license_col}, '')) = ?" for _ in self.licenses) + ")")
            params.extend(x.lower() for x in self.licenses)
        return (" AND ".join(clauses) or "true"), params


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
