"""The OpenAPI schema says null where the API can answer null: every output field that reads a
nullable column is nullable in the schema (found by the schemathesis run in tests/security)."""

from __future__ import annotations

from django.db.models import ForeignKey
from drf_spectacular.generators import SchemaGenerator
from rest_framework import serializers

from yousu.api.urls import router


def nullable_columns_read_by_outputs():
    """(component name, field name) of every output serializer field whose source starts at a nullable
    foreign key of its model."""
    found = set()
    for _prefix, viewset, _basename in router.registry:
        output = getattr(viewset, "serializer_class", None)
        if output is None or not issubclass(output, serializers.ModelSerializer):
            continue
        model = output.Meta.model
        for name, field in output().fields.items():
            column = field.source.split(".")[0]
            model_field = next((f for f in model._meta.fields if f.name == column), None)
            if (
                isinstance(model_field, ForeignKey)
                and model_field.null
                and not isinstance(field, serializers.ListSerializer | serializers.ManyRelatedField)
            ):
                found.add((output.__name__.removesuffix("Serializer"), name))
    return found


def test_output_fields_of_nullable_columns_are_nullable_in_the_schema(db):
    components = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]
    fields = nullable_columns_read_by_outputs()
    assert len(fields) >= 10
    not_nullable = [
        f"{component}.{name}"
        for component, name in sorted(fields)
        if component in components and not components[component]["properties"][name].get("nullable")
    ]
    assert not_nullable == []
    assert sum(component in components for component, _name in fields) >= 10
