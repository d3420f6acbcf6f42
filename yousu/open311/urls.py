"""/open311/v2/: GeoReport v2 and its Service Discovery document, each in .xml and .json."""

from django.urls import re_path

from . import views

app_name = "open311"
FMT = r"(?P<fmt>xml|json)"

urlpatterns = [
    re_path(rf"^discovery\.{FMT}$", views.discovery, name="discovery"),
    re_path(rf"^services\.{FMT}$", views.service_list, name="services"),
    # A service code may hold dots; the last ".xml" or ".json" is the format.
    re_path(rf"^services/(?P<service_code>[^/]+)\.{FMT}$", views.service_definition, name="service"),
    re_path(rf"^requests\.{FMT}$", views.requests, name="requests"),
    re_path(rf"^requests/(?P<service_request_id>[^/]+)\.{FMT}$", views.request_detail, name="request"),
    re_path(rf"^tokens/(?P<token>[^/]+)\.{FMT}$", views.token, name="token"),
]
