"""Cause categories, their keyword rules, and the fishbone grouping built on them."""
