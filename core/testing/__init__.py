"""Test helpers for the operator and for plugin authors: real OpenBao, a Kubernetes API, a running operator."""
