"""The module the Dramatiq CLI loads: `dramatiq workers.app`.

Creating the app builds the broker from `KKP_BROKER_URL`, binds every actor to it and
makes it Dramatiq's global broker, which the CLI then serves.
"""

from service.app import create_app

app = create_app()
