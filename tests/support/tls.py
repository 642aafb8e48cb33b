"""Re-export: the harness lives in vault_access_operator.testing (the demo and plugin authors use it too)."""

from vault_access_operator.testing.tls import *  # noqa: F403
