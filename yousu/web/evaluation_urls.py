"""URL wiring of the evaluation pages (mounted at the root); the views live in evaluation.py."""

from django.urls import path

from . import evaluation

urlpatterns = [
    path("assessment/", evaluation.assessment, name="assessment"),
    path("assessment/burden/", evaluation.burden, name="burden"),
    path("callbacks/desk/", evaluation.callback_desk, name="callback-desk"),
    path(
        "callbacks/desk/<int:callback_id>/record/",
        evaluation.callback_desk_record,
        name="callback-desk-record",
    ),
    path(
        "callbacks/desk/<int:callback_id>/unreachable/",
        evaluation.callback_desk_unreachable,
        name="callback-desk-unreachable",
    ),
    path(
        "callbacks/desk/<int:callback_id>/send-back/",
        evaluation.callback_desk_send_back,
        name="callback-desk-send-back",
    ),
    path(
        "callbacks/desk/answers/<int:record_id>/check/",
        evaluation.callback_desk_answer_check,
        name="callback-desk-answer-check",
    ),
    path(
        "callbacks/desk/answers/<int:record_id>/unreachable/",
        evaluation.callback_desk_answer_unreachable,
        name="callback-desk-answer-unreachable",
    ),
]
