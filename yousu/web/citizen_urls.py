"""URL wiring of the citizen pages; the views live beside this module."""

from django.urls import path

from . import citizen

urlpatterns = [
    path("", citizen.home, name="citizen-home"),
    path("submit/", citizen.submit, name="citizen-submit"),
    path("submitted/<str:code>/", citizen.submitted, name="citizen-submitted"),
    path("track/", citizen.track, name="citizen-track"),
    path("track/<str:code>/", citizen.progress, name="citizen-progress"),
    path("track/<str:code>/rate/", citizen.rate, name="citizen-rate"),
    path("areas.json", citizen.areas, name="citizen-areas"),
]
