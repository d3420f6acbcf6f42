"""URL wiring of the grid governance desks (未诉先办); the views live in grid_desk. Mounted at /grid/."""

from django.urls import path

from . import grid_desk

urlpatterns = [
    path("report/", grid_desk.report, name="grid-report"),
    path("daily/", grid_desk.daily, name="grid-daily"),
    path("study/", grid_desk.study, name="grid-study"),
    path("study/<int:problem_id>/", grid_desk.study_decide, name="grid-study-decide"),
    path("district/", grid_desk.district, name="grid-district"),
    path("district/<int:problem_id>/", grid_desk.district_dispatch, name="grid-district-dispatch"),
    path("meetings/", grid_desk.meetings, name="grid-meetings"),
    path("meetings/new/", grid_desk.meeting_new, name="grid-meeting-new"),
    path("meetings/<int:meeting_id>/", grid_desk.meeting, name="grid-meeting"),
    path("stationed/", grid_desk.stationed, name="grid-stationed"),
    path("stationed/<str:code>/accept/", grid_desk.stationed_sign, name="grid-stationed-accept"),
]
