"""Helpers shared by the tools and tests (import the submodules directly)."""
