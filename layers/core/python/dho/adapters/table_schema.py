"""Key names of the per-tenant DynamoDB tables (the single-table design and the access-log table).

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

# The tenant table's time-to-live attribute (epoch seconds): DynamoDB deletes an item some time after it.
# Only quarantine items carry it (``dho.adapters.keys``); ``TTL`` itself is a reserved word in expressions.
TIME_TO_LIVE_ATTRIBUTE = "expires_at"

# The access-log table (dho-<tenant>-access-log) has the same key names (PARTITION_KEY, SORT_KEY) and no index.
# The attributes of an access-log item (dho.adapters.dynamodb_access_log): the export function's role
# may put items with these attributes only (IAM ``dynamodb:Attributes``), so it cannot write anything else.
ACCESS_LOG_ATTRIBUTES = (
    PARTITION_KEY, SORT_KEY, "item_type", "access_id", "patient_id", "accessed_at", "information_object",
    "outcome", "hpr", "role", "organisation", "period_start", "period_end", "resources", "subject", "purpose",
)  # fmt: skip
