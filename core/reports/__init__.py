"""What head office reads: Laporan CRM and its exports, the charts' counts, the weekly recap and PICA
and its e-mail, background export jobs."""

from typing import TYPE_CHECKING

from core.platform.public import lazy_exports

if TYPE_CHECKING:  # the public names, loaded on first use (core.platform.public)
    from core.reports import charts as charts, export_jobs as export_jobs, recap as recap, recap_mail as recap_mail
    from core.reports.charts import ChartQuery as ChartQuery
    from core.reports.laporan import (
        Kind as Kind,
        ReportFilter as ReportFilter,
        count_rows as count_rows,
        prospect_status_by_branch as prospect_status_by_branch,
        won_lost_by_branch as won_lost_by_branch,
    )
    from core.reports.laporan_export import (
        record_export as record_export,
        write_csv_fast as write_csv_fast,
        write_xlsx_fast as write_xlsx_fast,
    )
    from core.reports.prediction_chart import arrival_vs_predicted as arrival_vs_predicted
    from core.reports.recap import CAUSE_LABEL as CAUSE_LABEL, CAUSES as CAUSES, Period as Period

__all__, __getattr__ = lazy_exports(__file__, __name__)

# This package's background jobs by lane, found by the worker (core.platform.jobs).
WORKER_JOBS = {"files": ("core.reports.export_jobs.run_pending",),
               "schedule": ("core.reports.chart_refresh.run_refresh_job", "core.reports.recap_mail.run_weekly")}
