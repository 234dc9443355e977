"""The importers: one module per source the warehouse loads, each turning files into rows for the writer.

``results`` (lm-eval / lighteval results files, parsed in worker processes), ``bundles`` (our workers'
result bundles), ``requests`` (the leaderboard's request files), ``contents`` (its `contents` table);
``source_files`` finds the files, knows them by content and keeps the raw copies. Each importer takes a
``warehouse.writer.Writer`` session and writes only through it.
"""
