"""Ownership and control graphs: who owns and who controls an actor, through how many layers.

`filon.graph.ownership` is the public API (load a graph from the standard's `ownership` table,
effective ownership, ultimate owners, controllers, layers, cycles); `render` draws an actor's
neighbourhood as SVG, GraphML and JSON.
"""
