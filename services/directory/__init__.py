"""The directory service: Searchable mentor profiles, availability, capacity and responsiveness read models."""
