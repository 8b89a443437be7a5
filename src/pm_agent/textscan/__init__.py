"""Fast text matching: skip regex searches that cannot match."""
