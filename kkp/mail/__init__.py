"""Mail as rows: deliveries, the transport (SMTP or local outbox), message building."""
