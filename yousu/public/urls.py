"""URL wiring; the views live beside this module. Mounted at /public/."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="public-home"),
    path("cases/", views.cases, name="public-cases"),
    path("cases/new/", views.case_new, name="public-case-new"),
    path("cases/<int:case_id>/", views.case_detail, name="public-case"),
    path("cases/<int:case_id>/withdraw/", views.case_withdraw, name="public-case-withdraw"),
]
