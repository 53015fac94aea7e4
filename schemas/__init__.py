"""The generated schemas and examples of the standard, shipped as package data (`ics_interop.schemas`)."""
