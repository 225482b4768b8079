"""A cluster of real hosts on one machine (issue 15): `python -m bench.cluster`, `make cluster`.

Modules: `net` (namespaces and the bridge), `services` (PostgreSQL, Redis, RabbitMQ,
HAProxy, the SMTP sink), `hosts` (web, worker and clock hosts), `cluster` (bringing it
up and down), `data` (seed, send, counts), `scenarios`, `sink` (the SMTP sink's program).
"""
