"""Markdown read leniently, once: blocks, sections mapped to canonical fields, timeline rows and action items."""
