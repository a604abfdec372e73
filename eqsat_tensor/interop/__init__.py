"""Importers and exporters for other tools (SymPy, JAX, PyTensor, FPCore)."""
