from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from rest_framework.decorators import api_view
from rest_framework.response import Response


def public_home(request):
    return render(request, "public_home.html")


@login_required
def tenant_home(request):
    return render(request, "tenant_home.html")


@api_view(["GET"])
def api_me(request):
    u = request.user
    return Response(
        {
            "username": u.username,
            "full_name": u.full_name,
            "role": u.role,
            "cooperative": request.tenant.name,
        }
    )
