"""HTTP routers of the orders service, one module per resource."""
