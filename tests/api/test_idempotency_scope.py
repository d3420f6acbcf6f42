"""Over real HTTP, an intake's idempotency key is its unit's (issue 21, item 2): the same unit resending
a key gets 200 and the first appeal, another unit's use of it is a 409 whose body holds nothing of that
appeal (before, it answered with its code, title, content and address)."""

from __future__ import annotations

from yousu.appeals.models import Appeal, Event

from .helpers import assert_refused

ADDRESS = "东一社区幸福路 8 号 3 单元"
FIRST = {
    "kind": "complaint",
    "channel": "app",
    "title": "幸福路餐馆油烟直排",
    "content": "幸福路 8 号楼下餐馆油烟直排，晚上窗户都不敢开。",
    "address": ADDRESS,
    "citizen_name": "王小明",
    "citizen_phone": "13800005678",
    "idempotency_key": "partner-app-0001",
}
OTHER = {**FIRST, "title": "另一件事", "content": "另一位市民的另一件事。", "address": "西区"}


def test_another_units_idempotency_key_is_a_409_with_nothing_of_the_appeal(api, world, north):
    p = world.people
    made = api.post("/api/v1/appeals/", p.operator, FIRST)
    assert made.status == 201, made.body
    code = made.body["code"]
    before = (Appeal.objects.count(), Event.objects.count())
    for stranger in (p.east_dispatcher, north.operator):
        answer = api.post("/api/v1/appeals/", stranger, OTHER)
        assert_refused(answer, (409,), code, FIRST["title"], FIRST["content"], ADDRESS, "13800005678")
        assert answer.error["code"] == "conflict" and answer.error["field"] == "idempotency_key"
    assert (Appeal.objects.count(), Event.objects.count()) == before

    # The unit that used the key (its dispatcher as well as the operator) gets its appeal back.
    for same_unit in (p.operator, p.dispatcher):
        again = api.post("/api/v1/appeals/", same_unit, FIRST)
        assert again.status == 200, again.body
        assert again.body["code"] == code and again.body["title"] == FIRST["title"]
    assert Appeal.objects.count() == 1
