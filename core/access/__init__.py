"""Access management: the kinds that declare Vault access (policies first) and the sync machinery they share."""
