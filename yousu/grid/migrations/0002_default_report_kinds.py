"""The fourteen kinds of matter grid workers report upward (网格员向上反馈的14项工作内容).

The seed counts fourteen but does not list them; these are the matters a grid worker's rounds
typically meet. They are rows, not code: a city renames, retires or adds kinds and maps each to a
catalog item in the admin."""

from django.db import migrations

DEFAULT_KINDS = [
    ("dispute", "矛盾纠纷", "邻里、家庭、物业等矛盾纠纷"),
    ("safety", "安全隐患", "房屋、设施、工地等安全隐患"),
    ("fire", "消防隐患", "楼道堆物、电动车违规充电、消防通道堵塞等"),
    ("sanitation", "环境卫生", "垃圾堆积、清扫保洁不到位等"),
    ("municipal", "市政设施损坏", "道路、井盖、路灯、排水等设施损坏"),
    ("illegal_building", "违法建设", "私搭乱建、违规改建等"),
    ("street_order", "占道经营与市容秩序", "占道经营、乱摆乱放、违规广告等"),
    ("pollution", "生态环境污染", "油烟、噪声、污水、扬尘等污染"),
    ("food_drug", "食品药品安全", "无证经营、过期食品等"),
    ("utilities", "供水供暖供气", "停水、供暖不热、燃气隐患等"),
    ("property", "物业管理", "物业服务、维修资金、小区公共设施等"),
    ("vulnerable", "特殊群体服务需求", "困难群众、独居老人、残疾人等的服务需求"),
    ("public_order", "治安与公共秩序", "治安隐患、可疑人员、聚集等"),
    ("policy", "政策落实与民生诉求", "社保、就业、教育、医疗等政策落实方面的诉求"),
]


def add_kinds(apps, schema_editor):
    ReportKind = apps.get_model("grid", "ReportKind")
    for position, (code, name, description) in enumerate(DEFAULT_KINDS, start=1):
        ReportKind.objects.get_or_create(
            code=code, defaults={"name": name, "description": description, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("grid", "0001_initial")]

    operations = [migrations.RunPython(add_kinds, migrations.RunPython.noop)]
