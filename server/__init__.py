"""Outpost server."""
