"""Entity resolution across registries and borders (Splink with Andean domain knowledge).

`link_source(source, out)` resolves every party named in actors, customs declarations,
import records, ownership filings and watch lists into entities; see `pipeline.py`.
"""

from filon.link.pipeline import LinkResult, link_source

__all__ = ["LinkResult", "link_source"]
