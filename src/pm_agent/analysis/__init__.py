"""Evidence-first analysis: what the incident data says about its causes, read once and quoted.

The modules here are pure functions over the domain models: no SDK, no I/O.
"""
