"""gunicorn settings for Yousu (docs/deployment.md): `gunicorn -c deploy/gunicorn.conf.py yousu.wsgi`.

Every value can be changed from the environment (the systemd unit's EnvironmentFile, or compose), so the
file itself stays the same on every machine.
"""

import multiprocessing
import os
import pathlib

wsgi_app = "yousu.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
# Synchronous workers: the pages do database work, not long waits. Two per core, plus one.
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 1))
# The monthly report's .xlsx and a large import are the slowest requests; nginx waits a little longer
# (proxy_read_timeout 75s) so that gunicorn's own timeout is the one that fires and is logged.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 5))
# Recycle workers now and then, so that a slow leak (a large report in memory) cannot grow forever.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 2000))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", 200))
# The proxy in front (nginx on the same machine; the compose network in a container) may set
# X-Forwarded-Proto; Django trusts it through SECURE_PROXY_SSL_HEADER.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# The heartbeat files in memory, not on a disk that may stall (and a read-only root in a container).
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"
# gunicorn's control socket would be created in the service user's home; nothing here uses it.
control_socket_disable = True

# Logs to stdout/stderr: journald (systemd) or `docker compose logs` keep them. The access log has the
# client's address as nginx saw it (X-Real-IP), the path without its query string (a search or filter
# may carry a citizen's name or phone number), and the time taken in milliseconds (%(M)s).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%({x-real-ip}i)s %(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'


# prometheus_client's multiprocess mode (yousu.core.metrics): the workers write their request histograms
# to files in PROMETHEUS_MULTIPROC_DIR, which must be empty when the server starts, and a worker that
# exits must be marked dead so that its live gauges are dropped.
def on_starting(server):
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return
    path = pathlib.Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
