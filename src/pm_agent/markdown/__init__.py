"""Markdown read once: line syntax under a strict (ingest) or lenient (scoring) row policy, blocks, sections
mapped to canonical fields, timeline rows and action items."""
