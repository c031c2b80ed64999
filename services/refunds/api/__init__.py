"""HTTP routers of the refunds service, one module per resource."""
