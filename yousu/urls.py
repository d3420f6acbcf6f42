"""URL map: the start page, the catalog pages, the supervision desk, the REST API, the admin, and
language switching."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from yousu.callbacks import views as callbacks
from yousu.core import metrics
from yousu.web import access_list_desk, inbox, supervision, views

urlpatterns = [
    path("", views.start, name="start"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("catalog/", views.catalog_tree, name="catalog-tree"),
    path("catalog/lookup/", views.responsibility_lookup, name="catalog-lookup"),
    path("catalog/access-list/", access_list_desk.access_list, name="catalog-access-list"),
    path(
        "catalog/access-list/<int:list_id>/propose/",
        access_list_desk.propose,
        name="catalog-access-list-propose",
    ),
    path(
        "catalog/access-list/changes/<int:change_id>/decide/",
        access_list_desk.decide,
        name="catalog-access-list-decide",
    ),
    path(
        "catalog/access-list/changes/<int:change_id>/exception/",
        access_list_desk.record_exception,
        name="catalog-access-list-exception",
    ),
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/<int:notification_id>/read/", inbox.read, name="inbox-read"),
    path("supervision/", supervision.desk, name="supervision-desk"),
    path("supervision/orders/<int:order_id>/urge/", supervision.urge, name="supervision-urge"),
    path("supervision/orders/<int:order_id>/supervise/", supervision.supervise, name="supervision-supervise"),
    path("supervision/orders/<int:order_id>/notice/", supervision.notice, name="supervision-notice"),
    path(
        "supervision/supervision-orders/<int:supervision_id>/close/",
        supervision.close,
        name="supervision-close",
    ),
    path("callback/<str:token>/", callbacks.answer, name="callback-answer"),
    path("intake/", include("yousu.web.intake_urls")),
    path("dispatch/", include("yousu.web.dispatch_urls")),
    path("unit/", include("yousu.web.unit_urls")),
    path("grid/", include("yousu.web.grid_urls")),
    path("h5/", include("yousu.web.citizen_urls")),
    path("dashboard/", include("yousu.web.dashboard_urls")),
    path("knowledge/proposals/", include("yousu.web.knowledge_proposal_urls")),
    path("knowledge/", include("yousu.web.knowledge_urls")),
    path("reports/", include("yousu.reports.urls")),
    path("public/", include("yousu.public.urls")),
    path("", include("yousu.web.evaluation_urls")),
    path("api/", include("yousu.api.urls")),
    path("open311/v2/", include("yousu.open311.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]
# No route serves MEDIA_ROOT, DEBUG or not: attachments are citizens' photos and documents at guessable
# paths (month/appeal code/name), so they leave only through the views that check who may see the
# appeal (dispatch-attachment, unit-attachment).
