"""CSV import of subscribers, run by the `run_import` actor."""


def run_import_job(job_id: int) -> None:
    raise NotImplementedError
