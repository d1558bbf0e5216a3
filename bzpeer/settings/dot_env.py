"""The local ``.env`` file, for the modes that run on one's own machine
(``local``, ``serve``): ``make run`` keeps its generated SECRET_KEY there, and
an operator adds OPENALEX_API_KEY and the like. What the environment already
sets wins. Production reads the environment alone (docker-compose passes its
``.env``), and tests never read it: their settings must not depend on a
developer's file."""

from pathlib import Path

import environ

DOT_ENV = Path(__file__).resolve().parent.parent.parent / ".env"


def read_dot_env() -> None:
    if DOT_ENV.is_file():
        environ.Env.read_env(DOT_ENV)
