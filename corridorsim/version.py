"""The package version (one place, read by the CLI, manifests and figure footers)."""

__version__ = "0.1.0"
