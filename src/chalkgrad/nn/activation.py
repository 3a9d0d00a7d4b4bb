"""Activation modules (filled in by the activation work)."""

__all__: list[str] = []
