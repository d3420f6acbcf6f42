"""URL wiring of the operator's workbench; the views live beside this module. Mounted at /intake/."""

from django.urls import path

from . import intake

urlpatterns = [
    path("", intake.desk, name="intake-desk"),
    path("aids/", intake.assist, name="intake-aids"),
]
