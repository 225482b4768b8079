"""The `kkp` command (``[project.scripts]``): Flask's commands (``kkp db upgrade``,
``kkp run``) and ours (:mod:`service.commands`) on the app from the environment."""

from __future__ import annotations

import click
from flask.cli import FlaskGroup

from service.app import create_app


@click.group(cls=FlaskGroup, create_app=create_app)
def main() -> None:
    """KKP Kompakt: newsletter and events for KKP coordination offices."""
