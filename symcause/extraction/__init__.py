"""Extraction: articles (.txt, .md, .html) -> sources, conditions, facts and factors tables."""
