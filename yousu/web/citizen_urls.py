"""URL wiring of the citizen pages; the views live beside this module."""

urlpatterns: list = []
