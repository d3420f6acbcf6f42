"""URL wiring; the views live beside this module."""

urlpatterns = []
