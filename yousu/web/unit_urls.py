"""URL wiring of the unit pages; the views live beside this module."""

urlpatterns: list = []
