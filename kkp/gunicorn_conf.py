"""gunicorn settings shared by the Procfile and `make run` (`-c python:kkp.gunicorn_conf`).

The access log names the path without its query string and leaves out the referer:
an editor's search (`/admin/subscribers?q=…`) would otherwise put addresses in the log.
"""

#: client, time, method, path (no query), protocol, status, bytes, seconds
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(L)ss'
