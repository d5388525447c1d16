"""CDK app of the DHO platform: one shared stack per region and one stack per tenant (municipality)."""
