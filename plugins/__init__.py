"""Built-in auth plugins. Each registers under the ``vault_access_operator.auth`` entry point
group exactly as a third-party plugin would; nothing in the core imports them directly."""
