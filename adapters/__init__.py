"""Reference implementations of the standard's systems (ContactPoint, National eCAF, ICS) and of real formats."""
