"""One construct per concern; the tenant stack wires them together."""
