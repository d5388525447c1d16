"""Stacks: one shared stack per region, one stack per tenant."""
