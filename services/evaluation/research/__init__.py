"""Research data requests (R16): submitted by any signed-in user, decided by operators, answered by a
de-identified export that only the requester downloads, through an expiring one-time link; audited."""
