"""The module the Dramatiq CLI loads: `dramatiq workers.app`.

Creating the app builds the broker from `KKP_BROKER_URL`, binds every actor to it and
makes it Dramatiq's global broker, which the CLI then serves. With
`KKP_WORKER_METRICS_BIND` set, Dramatiq's Prometheus middleware counts the messages
(kkp.worker_metrics).
"""

from kkp import worker_metrics

# prometheus-client picks its multiprocess mode when first imported: before the app is
WORKER_METRICS = worker_metrics.prepare()

from service.app import create_app  # noqa: E402

app = create_app()
if WORKER_METRICS:
    app.extensions["dramatiq"].add_middleware(worker_metrics.WorkerMetrics())
