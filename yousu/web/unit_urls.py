"""URL wiring of the unit pages; the views live beside this module. Mounted at /unit/."""

from django.urls import path

from . import unit_desk, unit_whistles

urlpatterns = [
    path("", unit_desk.desk, name="unit-desk"),
    path("orders/<int:order_id>/", unit_desk.order_page, name="unit-order"),
    path("orders/<int:order_id>/accept/", unit_desk.accept, name="unit-accept"),
    path("orders/<int:order_id>/return-request/", unit_desk.return_request, name="unit-return-request"),
    path("orders/<int:order_id>/assist/", unit_desk.assist, name="unit-assist"),
    path("orders/<int:order_id>/extension-request/", unit_desk.extension, name="unit-extension-request"),
    path("orders/<int:order_id>/reply/", unit_desk.reply, name="unit-reply"),
    path("orders/<int:order_id>/assist-part/", unit_desk.assist_part, name="unit-assist-part"),
    path("orders/<int:order_id>/pause/", unit_desk.pause, name="unit-pause"),
    path("orders/<int:order_id>/resume/", unit_desk.resume, name="unit-resume"),
    path("orders/<int:order_id>/forward/", unit_desk.forward, name="unit-forward"),
    path(
        "orders/<int:order_id>/attachments/<int:attachment_id>/",
        unit_desk.attachment,
        name="unit-attachment",
    ),
    path("whistles/", unit_whistles.whistles, name="unit-whistles"),
    path("whistles/blow/", unit_whistles.blow, name="unit-whistle-blow"),
    path("whistles/<int:whistle_id>/report-in/", unit_whistles.report_in, name="unit-report-in"),
]
