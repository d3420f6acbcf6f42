"""Signing in on the platform's own page: anyone with an account (not only staff) reaches the pages
that need a login, and comes back to the page they asked for."""

from yousu.org.services import person_create


def test_a_leader_who_is_not_staff_signs_in_and_reaches_the_dashboard(client, world):
    person_create(
        username="lead2",
        full_name="看板领导",
        unit=world.units.platform,
        roles=["leader"],
        password="s3cret-Pass-77",
    )
    answer = client.get("/dashboard/")
    assert answer.status_code == 302 and answer["Location"].startswith("/accounts/login/?next=/dashboard/")
    page = client.get(answer["Location"])
    assert page.status_code == 200 and 'name="password"' in page.content.decode()
    signed_in = client.post(
        "/accounts/login/", {"username": "lead2", "password": "s3cret-Pass-77", "next": "/dashboard/"}
    )
    assert signed_in.status_code == 302 and signed_in["Location"] == "/dashboard/"
    assert client.get("/dashboard/").status_code == 200


def test_a_wrong_password_is_refused_with_a_message(client, world):
    person_create(
        username="op2",
        full_name="接线员乙",
        unit=world.units.platform,
        roles=["operator"],
        password="s3cret-Pass-77",
    )
    answer = client.post("/accounts/login/", {"username": "op2", "password": "wrong"})
    assert answer.status_code == 200
    assert "用户名或密码不正确" in answer.content.decode()
    assert "_auth_user_id" not in client.session


def test_signing_out_is_a_post_and_ends_the_session(client, world):
    client.force_login(world.people.operator)
    assert client.get("/accounts/logout/").status_code == 405
    answer = client.post("/accounts/logout/")
    assert answer.status_code == 302 and answer["Location"] == "/"
    assert "_auth_user_id" not in client.session
