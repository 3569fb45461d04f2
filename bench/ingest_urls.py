"""Hindsight's URLs plus the control of the ingest benchmark: a view that reads the body and answers 202."""
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from config.urls import urlpatterns as hindsight


@csrf_exempt
def noop(request):
    request.body  # noqa: B018 - read it, as ingest does
    return JsonResponse({"status": "accepted"}, status=202)


urlpatterns = [path("bench/noop", noop), *hindsight]
