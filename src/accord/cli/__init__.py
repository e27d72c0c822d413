"""The ``accord`` command (BRIEF section 6)."""
