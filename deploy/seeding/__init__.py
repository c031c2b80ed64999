"""The demo seed of `make up`, by step: client, catalog, trading, summary."""
