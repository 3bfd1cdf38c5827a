"""The user's own settings: which kinds of email they receive (registry.notifications)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from registry import notifications
from registry.models import NotificationPreference


class NotificationPreferenceForm(forms.ModelForm):
    class Meta:
        model = NotificationPreference
        fields = list(NotificationPreference.KINDS)


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    """GET: the user's kinds of email, each on or off; POST: save them."""
    preference = notifications.preference_of(request.user)
    # Every box unticked posts no field of the form: still a submission.
    posted = request.POST if request.method == "POST" else None
    form = NotificationPreferenceForm(posted, instance=preference)
    if request.method == "POST" and form.is_valid():
        values = {kind: form.cleaned_data[kind] for kind in NotificationPreference.KINDS}
        notifications.preference_save(user=request.user, values=values)
        messages.success(request, "Your notification settings are saved.")
        return redirect("web:account-notifications")
    context = {"form": form, "has_address": bool(request.user.email)}
    return render(request, "web/account_notifications.html", context)
