"""The notifications service: Preferences, in-app inbox, email outbox, webhooks and institution event feeds."""
