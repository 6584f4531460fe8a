"""Wutong web layer: the Flask API over the engine."""
