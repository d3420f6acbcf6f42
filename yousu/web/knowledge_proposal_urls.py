"""URL wiring of the unit's knowledge proposals (知识条目建议); the views live in knowledge_proposals.
Mounted at /knowledge/proposals/."""

from django.urls import path

from . import knowledge_proposals

urlpatterns = [
    path("", knowledge_proposals.proposal_list, name="knowledge-proposal-list"),
    path("<int:proposal_id>/", knowledge_proposals.proposal_detail, name="knowledge-proposal-detail"),
    path("<int:proposal_id>/accept/", knowledge_proposals.accept, name="knowledge-proposal-accept"),
    path("<int:proposal_id>/decline/", knowledge_proposals.decline, name="knowledge-proposal-decline"),
]
