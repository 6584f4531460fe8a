"""Typed commands by role and the executor that runs them (see ``executor.py``)."""
