"""Template filters of the figure pages: a share as a percentage, a score, a missing figure as a dash."""

from django import template

register = template.Library()

DASH = "—"


@register.filter
def percent(value) -> str:
    """0.8125 → "81.3%"; an empty rate (no denominator this month) → "—"."""
    return DASH if value is None else f"{value * 100:.1f}%"


@register.filter
def figure(value) -> str:
    """A count or an estimate as the pages print it: whole numbers plain, others to one decimal."""
    if value is None:
        return DASH
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}"
    return str(int(value))
