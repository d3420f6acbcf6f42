"""Printable pages of the reports (/reports/): the index, the daily brief, the monthly assessment
report and a unit's monthly sheet. The figures come from `documents`, the same data as the API and
the .xlsx files; these views only lay them out, with the definitions next to the numbers."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _

from yousu.core.errors import DomainError, NotFound, PermissionRefused
from yousu.evaluation.assessment import COUNT_FIELDS, RATE_FIELDS
from yousu.evaluation.selectors import is_assessor

from . import documents, proactive


def _percent(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _problem(request, error: DomainError):
    """Bad input (400), refused (403) or not found (404): the page says which and names the field."""
    status = 404 if isinstance(error, NotFound) else 403 if isinstance(error, PermissionRefused) else 400
    context = {"message": error.message, "field": error.field, "status": status}
    return render(request, "reports/problem.html", context, status=status)


def _display_row(row: dict) -> dict:
    """The row with its rates as percentages, in the order of the report's columns."""
    return {
        **row,
        "count_values": [row[name] for name in COUNT_FIELDS],
        "rate_values": [_percent(row[name]) for name in RATE_FIELDS],
    }


@login_required
def index(request):
    return render(request, "reports/index.html", {"index": documents.report_index(request.user)})


@login_required
def daily(request):
    try:
        brief = documents.daily_brief_for(request.user, request.GET.get("date"))
    except DomainError as error:
        return _problem(request, error)
    names = brief["definitions"]
    callbacks = brief["callbacks"]
    figures = [
        (names[code], value)
        for code, value in (
            ("received", brief["received"]["total"]),
            ("answered_at_intake", brief["answered_at_intake"]),
            ("dispatched", brief["dispatched"]),
            ("completed", brief["completed"]),
            ("open_at_end", brief["open_at_end"]),
            ("overdue", brief["overdue"]["count"]),
            ("callbacks_done", callbacks["done"]),
            ("satisfaction_rate", _percent(callbacks["satisfaction_rate"])),
            ("urges", brief["urges"]),
            ("supervision_orders", brief["supervision_orders"]),
        )
    ]
    context = {"brief": brief, "figures": figures, "day": brief["date"].isoformat()}
    return render(request, "reports/daily.html", context)


@login_required
def monthly(request):
    try:
        report = documents.monthly_report_for(request.user, request.GET.get("month"))
    except DomainError as error:
        return _problem(request, error)
    columns = report["columns"]
    rates = report["definitions"]["rates"]
    groups = [
        {
            **group,
            "rows": [_display_row(row) for row in group["rows"]],
            "totals": _display_row(group["totals"]),
        }
        for group in report["groups"]
    ]
    context = {
        # Assessors may open every unit's sheet; a platform's dispatcher reads the report only.
        "may_open_units": is_assessor(request.user),
        "report": report,
        "run": report["run"],
        "groups": groups,
        "count_columns": [columns[name] for name in COUNT_FIELDS],
        "rate_columns": [(rates[name]["name"], rates[name]["definition"]) for name in RATE_FIELDS],
        "burden_columns": list(report["burden"]["columns"].values()),
        "burden_rows": [
            {**row, "values": [row[code] for code in report["burden"]["columns"]]}
            for row in report["burden"]["rows"]
        ],
        "burden_totals": [report["burden"]["totals"][code] for code in report["burden"]["columns"]],
        "definitions": report["definitions"],
        "proactive": _proactive_context(report["proactive"]),
    }
    return render(request, "reports/monthly.html", context)


def _proactive_context(data: dict) -> dict:
    names = proactive.definition_names()
    return {
        **data,
        "headers": [data["columns"][key] for key in proactive.TABLE],
        "district_rows": [{**row, "values": proactive.display_values(row)} for row in data["districts"]],
        "street_rows": [{**row, "values": proactive.display_values(row)} for row in data["streets"]],
        "total_values": proactive.display_values(data["totals"]),
        "explained": [(names.get(code, code), text) for code, text in data["definitions"].items()],
    }


@login_required
def unit(request):
    try:
        sheet = documents.unit_sheet_for(request.user, request.GET.get("month"), request.GET.get("unit"))
    except DomainError as error:
        return _problem(request, error)
    columns, data, result = sheet["columns"], sheet["definitions"], sheet["result"]
    figures = []
    for name in COUNT_FIELDS:
        entry = data["counts"].get(name, {})
        figures.append((columns[name], result[name], entry.get("definition", ""), ""))
    for name in RATE_FIELDS:
        entry = data["rates"][name]
        figures.append((entry["name"], _percent(result[name]), entry["definition"], entry["formula"]))
    rank = f"{result['rank']}/{result['peers']}" if result["rank"] else _("不参加排名")
    figures += [
        (columns["deduction"], result["deduction"], data["score"]["definition"], ""),
        (columns["score"], "—" if result["score"] is None else result["score"], "", ""),
        (columns["rank"], rank, data["rank"]["definition"], ""),
        (columns["zone"], result["zone_label"] or "—", data["zone"]["definition"], ""),
    ]
    context = {"sheet": sheet, "run": sheet["run"], "figures": figures, "result": result}
    return render(request, "reports/unit.html", context)
