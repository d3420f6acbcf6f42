"""The inbox endpoints wired the way yousu.api.urls wires them, for the tests of yousu.notifications.api."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from yousu.notifications.api import NotificationViewSet

router = DefaultRouter()
router.register("notifications", NotificationViewSet, basename="notification")

urlpatterns = [path("api/v1/", include(router.urls))]
