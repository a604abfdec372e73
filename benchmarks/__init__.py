"""Benchmarks of eqsat-tensor against NumPy, numexpr, jax.jit and PyTensor.

Run ``python -m benchmarks`` (or ``eqsat-tensor bench``); see ``benchmarks.runner``.
"""
