"""Marshmallow schemas of the API, one module per role; they mirror the engine's result dataclasses."""
