"""`make rehearse` (``python -m rehearsal``): production played on this machine from the rendered rehearsal overlay.

luigid and every CronJob run as containers of the image, exactly as their manifests specify them (``pods``), around
stand-ins for the services production has (``standins``: S3, the Heroku Postgres, the Mattermost webhook), over
two days of sample data (``days``) in cron order (``clock``); the marts are then compared with the demo's run over
the same files (``reference``) and a table is printed (``results``). It sits above devdata (its data) and ops (the
container engine).
"""
