"""Pages of a list that SQL pages (LIMIT/OFFSET plus one COUNT): the page count every list shows."""

from __future__ import annotations


class Paged:
    """Mixin for a frozen dataclass with `total` rows and `page_size` rows per page."""

    total: int
    page_size: int

    @property
    def pages(self) -> int:
        """How many pages the rows fill; an empty list still shows one (empty) page."""
        return max(1, -(-self.total // self.page_size))
