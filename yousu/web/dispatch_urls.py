"""URL wiring of the dispatch pages; the views live beside this module."""

urlpatterns: list = []
