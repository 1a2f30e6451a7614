"""Integration with other systems: webhooks (events out), messages in, service accounts."""
