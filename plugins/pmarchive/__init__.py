"""pmarchive: a post-mortem archive an organisation learns from (core package; MkDocs-free)."""

__version__ = "0.1.0"
