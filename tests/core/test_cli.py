"""The `yousu` command: bad input gives a one-line error and a non-zero exit, never a traceback."""

import os
import subprocess
import sys

import pytest

from yousu.cli import main


@pytest.fixture(autouse=True)
def keep_test_connection(monkeypatch):
    # A command run from the command line closes every connection when it ends; in-process, that
    # would close the test's own transaction on PostgreSQL.
    from django.db import connections

    monkeypatch.setattr(connections, "close_all", lambda: None)


def run_cli(capsys, *args):
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(code, err):
    assert code != 0
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "args",
    [
        ("import", "catalog", "/no/such/file.csv"),
        ("import", "units", "/no/such/file.xlsx"),
        ("export", "catalog", "/no/such/dir/out.csv"),
        ("export", "catalog", "out.txt"),
        ("export", "areas", "x.csv", "--at", "2026-01-01T00:00:00+08:00"),
        ("export", "rules", "x.csv", "--at", "yesterday"),
        ("import", "rules", "x.csv"),
        ("import", "rules", "x.csv", "--by", "nobody"),
        ("import", "nonsense", "x.csv"),
        ("export", "catalog"),
        ("demo", "--no-such-option"),
    ],
)
def test_bad_arguments(capsys, defaults, args):
    code, _out, err = run_cli(capsys, *args)
    assert_one_line_error(code, err)


def test_bad_rows_name_their_row_and_write_nothing(capsys, defaults, tmp_path):
    from yousu.catalog.models import CatalogItem

    path = tmp_path / "c.csv"
    path.write_text(
        "code,name,level,parent_code,keywords,appeal_kinds,time_limit_class,description\n"
        "A,甲,1,,,,,\nA-1,乙,2,B,,,,\nA-1,丙,2,A,,,,\n",
        encoding="utf-8",
    )
    code, _out, err = run_cli(capsys, "import", "catalog", str(path))
    assert_one_line_error(code, err)
    assert "第 3 行 parent_code" in err and "第 4 行 code" in err
    assert CatalogItem.objects.count() == 0


def test_import_then_export(capsys, defaults, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("一级分类,二级分类,三级分类\n城乡建设,市政,井盖\n", encoding="utf-8")
    code, out, _err = run_cli(capsys, "import", "catalog", str(path))
    assert code == 0 and "已导入 1 行" in out
    target = tmp_path / "out.xlsx"
    code, out, _err = run_cli(capsys, "export", "catalog", str(target))
    assert code == 0 and target.exists() and "已导出 3 行" in out


def test_unknown_command(capsys):
    code, _out, err = run_cli(capsys, "frobnicate")
    assert code != 0 and "Traceback" not in err


def test_bad_environment_is_one_line_from_a_real_process(tmp_path):
    environment = dict(
        os.environ,
        DEBUG="maybe",
        DJANGO_SETTINGS_MODULE="yousu.settings.development",
        YOUSU_VAR_DIR=str(tmp_path),
    )
    result = subprocess.run(
        [sys.executable, "-m", "yousu", "check"], capture_output=True, text=True, env=environment, timeout=120
    )
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "DEBUG='maybe'" in result.stderr
    assert "Traceback" not in result.stderr
