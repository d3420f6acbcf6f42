"""URL wiring of the leader's dashboard (mounted at /dashboard/); the views live in dashboard.py."""

from django.urls import path

from . import dashboard

urlpatterns = [
    path("", dashboard.page, name="dashboard"),
    path("areas.geojson", dashboard.areas_geojson, name="dashboard-areas"),
]
