"""What keeps input and output safe: redaction, size limits, safe paths, the fidelity check and file locks."""
