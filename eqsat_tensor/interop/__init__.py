"""Importers and exporters for other tools, one module each (optional dependencies).

- ``sympy_io``: ``from_sympy`` / ``to_sympy`` (``pip install 'eqsat-tensor[sympy]'``)
- ``jax_io``: ``from_jax`` (via ``jax.make_jaxpr``) / ``to_jax`` (``[jax]``)
- ``pytensor_io``: ``from_pytensor`` (``[pytensor]``); ``pytensor_graph``: ``ImportedGraph``
  (checks and joined outputs); ``pytensor_export``: ``to_pytensor``; ``pymc``:
  ``compile_logp_dlogp`` (``[pymc]``)
- ``fpcore``: ``from_fpcore`` (returns ``(graph, info)`` with the ``:pre`` bounds) /
  ``to_fpcore``; no dependency
- ``exprtext``: expression text to a graph through Python's ``ast`` (never executed)
- ``registry``: ``import_graph(kind, text)`` / ``export_graph(kind, graph)`` for the CLI's
  ``--from`` / ``--to``

All of them are exported lazily as ``et.from_sympy``, ``et.to_jax``, ... A missing
optional dependency raises ``MissingDependency`` naming the pip extra to install.
"""
