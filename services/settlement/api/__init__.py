"""HTTP routers of the settlement service, one module per resource."""
