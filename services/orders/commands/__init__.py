"""What people and platforms ask of orders: checkouts, actions on one order, platform commands."""
