"""The bottom layer: settings and the shared vocabulary (precisions, model types, suites and their
benchmarks). Imports nothing of ours; everything else may import it."""
