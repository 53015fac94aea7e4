"""Reference implementations of the systems of the standard (ContactPoint, National eCAF, ICS) and of real-world formats."""
