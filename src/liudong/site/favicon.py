"""``/favicon.ico``: browsers ask for it whatever the page links to; it redirects to the site's
SVG icon (``liudong/favicon.svg``, linked from ``base.html``), so that the request does not
end in a 404."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpResponseRedirect
from django.templatetags.static import static
from django.views.decorators.http import require_GET

if TYPE_CHECKING:
    from django.http import HttpRequest

ICON = "liudong/favicon.svg"


@require_GET
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """A temporary redirect (the static file's name carries a hash in production)."""
    response = HttpResponseRedirect(static(ICON))
    response["Cache-Control"] = "public, max-age=86400"
    return response
