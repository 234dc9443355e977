"""The ingest entry point: the one writer with every importer as a method.

``warehouse.writer.Writer`` holds the lock, the connection and the session; the importers
(``warehouse.importers``) turn each source into rows for it. This ``Writer`` is that writer with the
importers attached, for callers that load files (``w.import_results(paths)``, ``Writer.import_requests``,
``w.import_contents(path)``, ``w.ingest_bundle(folder)``).
"""

from __future__ import annotations

from warehouse import writer
from warehouse.importers.bundles import ingest_bundle
from warehouse.importers.contents import import_contents
from warehouse.importers.requests import import_requests
from warehouse.importers.results import IMPORT_WORKERS, import_results
from warehouse.importers.source_files import ImportReport, walk

__all__ = ["IMPORT_WORKERS", "ImportReport", "Writer", "walk"]


class Writer(writer.Writer):
    """The writer, with the importers as methods (each takes the session as its first argument)."""

    import_results = import_results
    import_requests = import_requests
    import_contents = import_contents
    ingest_bundle = ingest_bundle
