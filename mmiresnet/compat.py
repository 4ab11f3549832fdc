"""Compatibility fixes for mmengine 0.10.7 on torch >= 2.6 (filled in by the setup work)."""
