"""The HTTP service (`jurisdiction serve`, the `serve` extra): the application (`app`), how it
runs in one process or several (`run`), its settings and its decision log."""

from jurisdiction.service.app import create_app
from jurisdiction.service.run import run_server
from jurisdiction.service.settings import ServerSettings

__all__ = ["ServerSettings", "create_app", "run_server"]
