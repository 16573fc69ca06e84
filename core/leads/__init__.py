"""Leads from sales and service history: the lead engine, planned touches (H-7, H-3, booking morning,
H+3), today's worklist, distribution to admins and the lead list queries."""

from typing import TYPE_CHECKING

from core.platform.public import lazy_exports

if TYPE_CHECKING:  # the public names, loaded on first use (core.platform.public)
    from core.leads import distribution as distribution, lookups as lookups, queries as queries
    from core.leads.detail import LeadDetail as LeadDetail, lead_detail as lead_detail
    from core.leads.lead import (
        LeadInput as LeadInput,
        convert_to_opportunity as convert_to_opportunity,
        save_lead as save_lead,
    )
    from core.leads.lookups import CustomerHit as CustomerHit, Option as Option
    from core.leads.queries import SORTS as SORTS, LeadFilter as LeadFilter, Sort as Sort
    from core.leads.today import KIND_ORDER as KIND_ORDER, WorkItem as WorkItem, worklist as worklist

__all__, __getattr__ = lazy_exports(__file__, __name__)

# This package's background jobs by lane, found by the worker (core.platform.jobs).
WORKER_JOBS = {"schedule": ("core.leads.daily_run.run_leadgen", "core.leads.search_index.run_index")}
