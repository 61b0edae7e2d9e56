"""gunicorn's configuration module of every API process (`gunicorn --config python:shared.gunicorn_conf`):
only its hooks, from shared/serve.py; every other setting is on the command line (serve.gunicorn_argv).
Imports nothing of prometheus-client here: the master must not load it before on_starting has set
PROMETHEUS_MULTIPROC_DIR, or the workers it forks would inherit its single-process mode."""
from shared.serve import child_exit, on_exit, on_starting

__all__ = ["child_exit", "on_exit", "on_starting"]
