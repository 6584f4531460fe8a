"""Wutong's benchmarks: scripts that measure the engine and print tables and write JSON (never timed tests).

Run one with ``.venv/bin/python bench/bench_<name>.py [--quick]`` or all of them with ``make bench``;
results land in ``bench/results/<name>-<timestamp>.json`` (git-ignored). See docs/performance.md.
"""
