"""Password rules (issue 21): at least ten characters, not a common password, not digits only, not
like the username — in person_create (the services, imports, the demo) as in the admin's forms."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.urls import reverse

from yousu.core.errors import DomainError
from yousu.demo.people import DEMO_PASSWORD, DEMO_PEOPLE
from yousu.org.choices import RoleCode
from yousu.org.models import Person, Role
from yousu.org.services import person_create

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "password",
    [
        "yousu123",  # accepted before: eight characters
        "short-1",
        "password123",  # long enough, but one of the common passwords
        "12345678901",  # digits only
        "zhangsan-1",  # like the username
    ],
)
def test_person_create_refuses_a_weak_password_naming_the_field(world, password):
    with pytest.raises(DomainError) as refused:
        person_create(
            username="zhangsan",
            full_name="张三",
            unit=world.units.platform,
            roles=["operator"],
            password=password,
        )
    assert refused.value.field == "password"
    assert not Person.objects.filter(username="zhangsan").exists()


def test_a_good_password_and_no_password_are_accepted(world):
    person = person_create(
        username="zhangsan",
        full_name="张三",
        unit=world.units.platform,
        roles=["operator"],
        password="Hotline-12345x",
    )
    assert person.check_password("Hotline-12345x")
    nobody = person_create(username="lisi", full_name="李四", unit=world.units.platform, roles=["operator"])
    assert not nobody.has_usable_password()


def test_the_demo_password_meets_the_rules_for_every_demo_account():
    assert len(DEMO_PASSWORD) >= 10
    for username, full_name, *_rest in DEMO_PEOPLE:
        validate_password(DEMO_PASSWORD, user=Person(username=username, full_name=full_name))


def test_the_admin_refuses_a_short_password(client, world):
    root = person_create(
        username="root", full_name="系统超级用户", unit=None, roles=[], is_staff=True, is_superuser=True
    )
    client.force_login(root)
    response = client.post(
        reverse("admin:org_person_add"),
        {
            "username": "xiaoli",
            "usable_password": "true",
            "password1": "yousu123",
            "password2": "yousu123",
            "full_name": "小李",
            "unit": world.units.east_eco.pk,
            "roles": [Role.objects.get(code=RoleCode.UNIT_HANDLER).pk],
        },
    )
    assert response.status_code == 200
    assert not Person.objects.filter(username="xiaoli").exists()
    assert "10" in response.text
