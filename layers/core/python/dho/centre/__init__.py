"""The response centre's service (the centre API): who the caller is, what they may see, the worklist,
acting on alerts, the patient view and the access log, over every tenant that named the centre."""
