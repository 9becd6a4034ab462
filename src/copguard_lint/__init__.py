"""copguard-lint: find where Python app code puts children at risk."""

__version__ = "0.1.0"
