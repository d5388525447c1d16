"""Key names of the per-tenant DynamoDB table (single-table design).

The infrastructure code and the local tools create the table from these names, so the deployed
table and the adapters cannot drift apart. The key layout itself is documented in
``dho.adapters.keys``.
"""

PARTITION_KEY = "pk"
SORT_KEY = "sk"

# The nurses' triage list: open alerts of a tenant ordered by urgency, then age.
TRIAGE_INDEX = "triage"
TRIAGE_PARTITION_KEY = "triage_pk"
TRIAGE_SORT_KEY = "triage_sk"
