"""URL wiring of the printable report pages, mounted at /reports/; the views live beside this module."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.index, name="reports-index"),
    path("daily/", views.daily, name="reports-daily"),
    path("monthly/", views.monthly, name="reports-monthly"),
    path("unit/", views.unit, name="reports-unit"),
]
