"""Blameless language: detect blame and rewrite it toward the system, keeping every fact."""
