"""The tamper-evident audit chain (framework-free)."""
