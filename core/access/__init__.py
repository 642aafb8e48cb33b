"""Access management: the kinds that write Vault objects (policies, roles, secrets) and what they share."""
