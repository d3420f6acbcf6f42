"""URLs of the API: /api/v1/ (the endpoints), /api/schema/ (OpenAPI), /api/docs/ (browsable list)."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from yousu.callbacks.api import CallbackViewSet
from yousu.evaluation.api import AssessmentViewSet
from yousu.knowledge.api import IntakeAnswerViewSet
from yousu.notifications.api import NotificationViewSet

from . import knowledge, supervision, views

router = DefaultRouter()
router.register("appeals", views.AppealViewSet, basename="appeal")
router.register("orders", views.OrderViewSet, basename="order")
router.register("return-requests", views.ReturnRequestViewSet, basename="return-request")
router.register("extension-requests", views.ExtensionRequestViewSet, basename="extension-request")
router.register("consultations", views.ConsultationViewSet, basename="consultation")
router.register("whistles", views.WhistleViewSet, basename="whistle")
router.register("criticism-notices", views.CriticismNoticeViewSet, basename="criticism-notice")
router.register("supervision", supervision.SupervisionViewSet, basename="supervision")
router.register("supervision-orders", supervision.SupervisionOrderViewSet, basename="supervision-order")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("callbacks", CallbackViewSet, basename="callback")
router.register("assessments", AssessmentViewSet, basename="assessment")
router.register("knowledge/answers", IntakeAnswerViewSet, basename="api-knowledge-answer")
router.register("knowledge/entries", knowledge.KnowledgeEntryViewSet, basename="api-knowledge-entry")
router.register("knowledge", knowledge.KnowledgeViewSet, basename="api-knowledge")

urlpatterns = [
    path("v1/dashboard/", include("yousu.reports.api_dashboard")),
    path("v1/reports/", include("yousu.reports.api_documents")),
    path("v1/public/", include("yousu.public.api")),
    path("v1/intelligence/place/", include("yousu.intelligence.api_places")),
    path("v1/intelligence/", include("yousu.intelligence.api_hot")),
    path("v1/intelligence/hot-issues/", include("yousu.dispatch.api_hot_issues")),
    path("v1/intelligence/", include("yousu.api.intelligence")),
    path("v1/grid/", include("yousu.api.grid")),
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", views.ApiDocs.as_view(), name="api-docs"),
    path("auth/", include("rest_framework.urls")),
    re_path(r"^(?P<path>.*)$", views.not_found),
]
