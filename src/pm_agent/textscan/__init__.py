"""Fast text matching: a pattern runs only where the words it declares occur (see :mod:`.words`)."""
