from django.http import HttpResponse, JsonResponse


def home(request):
    return HttpResponse("BZPEER")


def healthz(request):
    return JsonResponse({"status": "ok"})


def researcher_search(request):
    return HttpResponse("search")


def researcher_detail(request, openalex_id):
    return HttpResponse("detail")


def researcher_trust(request, openalex_id):
    return HttpResponse("trust")
