"""The reliability campaign (``make campaign``; a short form runs in ``make test``).

It starts the local cloud once (the real CDK app on the moto harness, MQTT behind the IoT front door,
the rules engine, the functions run from their queues, the SNS outbox), registers a fleet of simulated
patients and devices in two municipalities, and runs parts that each return one row of a table:
hostile input, forgery, load, faults (DynamoDB throttling, SNS outage, a function crash, a broker
restart, eventually consistent reads) and privacy. The table is printed and written to
``build/campaign.json``; RELIABILITY.md explains what is promised and how each part tests it.
"""
