"""HTTP routers of the suppliers service, one module per resource."""
