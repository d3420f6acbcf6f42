"""URL wiring of the knowledge base's pages; the views live in yousu.web.knowledge. Mounted at
/knowledge/ (after /knowledge/proposals/, whose prefix is more specific)."""

from django.urls import path

from . import knowledge

urlpatterns = [
    path("", knowledge.search_page, name="knowledge-search"),
    path("results/", knowledge.results, name="knowledge-results"),
    path("new/", knowledge.create, name="knowledge-create"),
    path("review/", knowledge.reviews, name="knowledge-reviews"),
    path("import/", knowledge.import_page, name="knowledge-import"),
    path("import/template/", knowledge.import_template, name="knowledge-import-template"),
    path("<int:entry_id>/", knowledge.entry_page, name="knowledge-entry"),
    path("<int:entry_id>/edit/", knowledge.edit, name="knowledge-edit"),
    path("<int:entry_id>/review/", knowledge.review, name="knowledge-review"),
    path("<int:entry_id>/withdraw/", knowledge.withdraw, name="knowledge-withdraw"),
    path("<int:entry_id>/restore/", knowledge.restore, name="knowledge-restore"),
    path("<int:entry_id>/versions/<int:version>/", knowledge.version_page, name="knowledge-version"),
]
