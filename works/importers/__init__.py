"""Live imports from the sources' APIs (OpenAlex through pyalex, arXiv),
driven by ``works.importers.base``."""
