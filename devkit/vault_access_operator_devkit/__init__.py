"""The development kit of vault-access-operator: Kubernetes API emulator, operator runner, demo.

Only the demo, the test suite and the benchmarks use it; the shipped package never imports it.
Not a stable API. The plugin test kit for plugin authors is ``vault_access_operator.testing``.
"""
