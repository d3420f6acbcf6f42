"""The REST API (/api/v1/): thin views over the domain's services and selectors."""
