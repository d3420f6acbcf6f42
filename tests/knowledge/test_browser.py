"""The knowledge base's search in a real browser: the results follow what the operator types, without
a page load, show only entries operators are offered, lead to the entry, and the page passes the
accessibility check."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import browser, open_as  # noqa: F401  (the browser tests' fixtures)
from tests.browser.helpers import audit, skip_without_chromium

from .test_web import flag, make

skip_without_chromium()


def test_results_follow_what_the_operator_types(open_as, world):  # noqa: F811
    fumes = make(world)
    dust = make(world, question="工地扬尘找谁", answer="工地扬尘由区生态环境局查处。", keywords="扬尘、工地")
    hidden = make(world, question="工地扬尘夜间施工", answer="夜间施工扬尘可投诉。")
    flag(hidden)
    page = open_as(world.people.operator, "/knowledge/")
    assert page.goto_response.status == 200
    # With nothing typed: the recently updated entries operators are offered.
    results = page.locator("#knowledge-results")
    expect(results.locator(f"#entry-{fumes.pk}")).to_be_visible()
    expect(results.locator(f"#entry-{hidden.pk}")).to_have_count(0)
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))

    page.get_by_label("输入群众的问题或关键词").press_sequentially("工地扬尘", delay=50)
    expect(results.locator(f"#entry-{dust.pk}")).to_be_visible()
    expect(results.locator(f"#entry-{fumes.pk}")).to_have_count(0)
    expect(results.locator(f"#entry-{hidden.pk}")).to_have_count(0)
    expect(results).to_contain_text("东区生态环境局")
    assert navigations == []  # the results came in place, not by loading the page again

    page.get_by_label("输入群众的问题或关键词").fill("油烟")
    expect(results.locator(f"#entry-{fumes.pk}")).to_be_visible()
    expect(results.locator(f"#entry-{dust.pk}")).to_have_count(0)
    assert audit(page)["problems"] == []

    results.get_by_role("link", name=fumes.question).click()
    expect(page.locator("h1")).to_have_text(fumes.question)
    expect(page.locator("#history")).to_contain_text("第 1 版")


def test_the_operator_answers_a_call_from_the_knowledge_base_at_the_workbench(open_as, world):  # noqa: F811
    from yousu.appeals.models import Appeal
    from yousu.knowledge.models import IntakeAnswer

    fumes = make(world)
    page = open_as(world.people.operator, "/intake/")
    page.locator("#id_citizen_phone").fill("13800005678")
    page.locator("#id_title").fill("餐饮店油烟")
    page.locator("#id_content").press_sequentially("楼下餐饮油烟扰民怎么处理", delay=20)
    offered = page.locator(f"#knowledge-{fumes.pk}")
    expect(offered).to_contain_text(fumes.question)
    # Alt+K adopts the first answer: the kind becomes inquiry, the answer is filled, the entry named.
    page.keyboard.press("Alt+k")
    expect(page.locator("#id_kind")).to_have_value("inquiry")
    expect(page.locator("#id_answer")).to_have_value(fumes.answer + "\n依据：大气污染防治法（主席令第31号）")
    expect(page.locator("#entry-chosen")).to_contain_text(fumes.question)
    page.keyboard.press("Control+Enter")
    expect(page.locator("#done-title")).to_be_visible()
    appeal = Appeal.objects.get()
    assert appeal.status == "answered"
    assert IntakeAnswer.objects.get(appeal=appeal).entry == fumes
    assert audit(page)["problems"] == []
