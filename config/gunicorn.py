"""gunicorn's settings in the image (`--config python:config.gunicorn` in the Dockerfile).

The access log names the method and path only: the request line (%(r)s), the query string
(%(q)s) and the referer (%(f)s) can carry a study id, as in /studies/HCD19/?q=BR-001.
Paths never do: pages and API resources are addressed by database id.
"""

accesslog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
# A worker stops a request that runs longer (gunicorn's default, said here because the
# analytics rely on it: analytics.frames looks back twice this far for late commits).
timeout = 30
