"""`yousu serve` (what `make run` starts): DEBUG off unless asked for, static files from WhiteNoise without
collectstatic, and no URL that serves MEDIA_ROOT in any setting — a citizen's photo leaves only through
the views that check who may see the appeal."""

import importlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.urls import clear_url_caches

from tests.appeals.factories import new_appeal
from yousu.appeals.services import AttachmentIn

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
PHOTO = "2026-10/XN20261012000001/现场.png"
# What Django's debug pages show and its plain pages do not.
DEBUG_MARKS = ("URLconf", "DEBUG = True", "Traceback")


def _one_machine_env(var_dir, **extra) -> dict:
    """The environment of `make run` on a fresh machine: none of the suite's settings, SQLite under
    `var_dir`, no cache, no queue."""
    dropped = {
        "DJANGO_SETTINGS_MODULE",
        "DEBUG",
        "DATABASE_URL",
        "REDIS_URL",
        "CELERY_BROKER_URL",
        "MEDIA_ROOT",
    }
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(YOUSU_VAR_DIR=str(var_dir), **extra)
    return env


def test_the_one_machine_settings_run_with_debug_off_unless_asked(tmp_path):
    show = (
        "import os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'yousu.settings.development');"
        "from django.conf import settings;"
        "print(settings.DEBUG, sorted(settings.ALLOWED_HOSTS), settings.WHITENOISE_USE_FINDERS,"
        " settings.YOUSU_SHOW_DEMO_ACCOUNTS)"
    )

    def run(**extra):
        done = subprocess.run(
            [sys.executable, "-c", show],
            capture_output=True,
            text=True,
            env=_one_machine_env(tmp_path, **extra),
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    assert run() == "False ['127.0.0.1', 'localhost'] True True"
    assert run(DEBUG="1").startswith("True ")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str, host: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.mark.parametrize("asked", [False, True], ids=["default", "--debug"])
def test_yousu_serve_serves_static_files_but_never_media(tmp_path, asked):
    media = tmp_path / "media"
    (media / PHOTO).parent.mkdir(parents=True)
    (media / PHOTO).write_bytes(PNG)
    port = _free_port()
    command = [sys.executable, "-m", "yousu", "serve", "--no-sweep", f"127.0.0.1:{port}"]
    server = subprocess.Popen(
        command + (["--debug"] if asked else []),
        env=_one_machine_env(tmp_path, MEDIA_ROOT=str(media)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                status, css = _get(f"{base}/static/web/site.css")
                break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None, server.stdout.read().decode()
                assert time.monotonic() < deadline, "yousu serve did not answer"
                time.sleep(0.5)
        # WhiteNoise answers from the apps' folders: nothing was collected into var/static.
        assert status == 200 and b"{" in css
        assert not any((tmp_path / "static").iterdir())

        status, body = _get(f"{base}/media/{urllib.parse.quote(PHOTO)}")
        assert status == 404 and PNG not in body

        status, body = _get(f"{base}/nonexistent")
        assert status == 404
        shown = body.decode()
        assert all(mark not in shown for mark in DEBUG_MARKS) != asked
        # Both names of the machine are allowed hosts (else 400 DisallowedHost).
        assert _get(f"{base}/nonexistent", host=f"localhost:{port}")[0] == 404
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode()
    assert ("调试模式已开启" in output) == asked


@pytest.fixture
def urlconf_built_with_debug_on(settings):
    """yousu.urls as a development server with DEBUG on would build it; rebuilt as the suite's after."""
    import yousu.urls

    settings.DEBUG = True
    try:
        importlib.reload(yousu.urls)
        clear_url_caches()
        yield
    finally:
        settings.DEBUG = False
        importlib.reload(yousu.urls)
        clear_url_caches()


def test_no_url_serves_a_photo_even_with_debug_on(client, world, urlconf_built_with_debug_on):
    appeal = new_appeal(world, attachments=[AttachmentIn(name="现场.png", data=PNG)])
    photo = appeal.attachments.get()
    direct = f"/media/{photo.file.name}"
    assert client.get(direct).status_code == 404
    client.force_login(world.people.dispatcher)
    assert client.get(direct).status_code == 404
    # The dispatcher, who may see the appeal, gets it through the desk's view.
    answer = client.get(f"/dispatch/appeals/{appeal.code}/attachments/{photo.pk}/")
    assert answer.status_code == 200 and b"".join(answer.streaming_content) == PNG
