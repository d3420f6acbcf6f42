"""URL wiring of the dispatcher desk (派单台); the views live beside this module. Mounted at /dispatch/."""

from django.urls import path

from . import dispatch_desk as views

urlpatterns = [
    path("", views.desk, name="dispatch-desk"),
    path("appeals/<str:code>/", views.appeal_page, name="dispatch-appeal"),
    path("appeals/<str:code>/dispatch/", views.dispatch, name="dispatch-dispatch"),
    path("appeals/<str:code>/attachments/<int:attachment_id>/", views.attachment, name="dispatch-attachment"),
    path("appeals/<str:code>/forward/", views.forward, name="dispatch-forward"),
    path("appeals/<str:code>/link/", views.link, name="dispatch-link"),
    path("appeals/<str:code>/withdraw/", views.withdraw, name="dispatch-withdraw"),
    path("appeals/<str:code>/consult/", views.consult, name="dispatch-consult"),
    path("reviews/<str:queue>/", views.reviews, name="dispatch-reviews"),
    path("returns/<int:pk>/review/", views.review_return, name="dispatch-review-return"),
    path("returns/<int:pk>/reopen/", views.reopen_return, name="dispatch-reopen-return"),
    path("extensions/<int:pk>/review/", views.review_extension, name="dispatch-review-extension"),
    path("replies/<int:pk>/review/", views.review_reply, name="dispatch-review-reply"),
    path("consultations/<int:pk>/decide/", views.decide_consultation, name="dispatch-decide-consultation"),
]
