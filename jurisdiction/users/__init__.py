"""Affected users at scale: from an assessment to a platform's own user table.

An assessment names jurisdictions; a mailing or consent system needs people. One practice,
as of one date, becomes a `UserPlan` (`planner`): which (jurisdiction, age band, existing
data) segments each plan step covers, and which are excluded and why. The plan compiles to
one SQL query over the mapped columns (`columns`, `sql`), which runs on DuckDB or Spark
(`backends`) or in a warehouse (`--print-sql`); the counts (`counts`) are rendered as text or
JSON (`render`) or in the HTML report.
"""

from jurisdiction.users.columns import ROLES, ColumnMap, parse_column_map
from jurisdiction.users.counts import ExcludedUsers, JurisdictionUsers, StepUsers, TableCounts, summarize
from jurisdiction.users.planner import Segment, UserPlan, UserStep, age_on, plan_users
from jurisdiction.users.render import render_users_json, render_users_text
from jurisdiction.users.sql import counts_sql, ids_sql, reference_rows

__all__ = [
    "ROLES",
    "ColumnMap",
    "ExcludedUsers",
    "JurisdictionUsers",
    "Segment",
    "StepUsers",
    "TableCounts",
    "UserPlan",
    "UserStep",
    "age_on",
    "counts_sql",
    "ids_sql",
    "parse_column_map",
    "plan_users",
    "reference_rows",
    "render_users_json",
    "render_users_text",
    "summarize",
]
