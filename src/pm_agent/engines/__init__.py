"""Analysis engines: pure functions over the domain models, offline and deterministic."""
