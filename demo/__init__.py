"""The demo data loader: talks only to the public API through the gateway, one module per service."""
