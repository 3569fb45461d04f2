"""Django's development server (with static files, as django.contrib.staticfiles serves them), whose
request threads close their database connections as they end.

runserver answers each HTTP connection on a new thread, and a thread's database connection is kept for
DATABASE_CONN_MAX_AGE: its thread ends without closing it, and Postgres keeps it open until Python's
garbage collector happens to free the thread's objects. `make run` on Postgres held 90-odd of Postgres's
100 connections after a while of dashboard use. Django's own test server closes them as this one does.
(This app comes before django.contrib.staticfiles in INSTALLED_APPS, so that this command is the one run.)
"""
from django.contrib.staticfiles.management.commands.runserver import Command as StaticFilesRunserver
from django.core.servers.basehttp import WSGIServer
from django.db import connections


class ConnectionsClosingWSGIServer(WSGIServer):
    def close_request(self, request):
        connections.close_all()  # on the request's thread, which ends now: its connections go with it
        super().close_request(request)


class Command(StaticFilesRunserver):
    server_cls = ConnectionsClosingWSGIServer
