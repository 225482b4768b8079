"""The editors' pages for subscribers, lists, import and export."""

from __future__ import annotations

from flask import Blueprint, render_template

from kkp.auth.access import protect

bp = Blueprint("newsletter_admin", __name__, url_prefix="/admin")
protect(bp)


@bp.get("/subscribers")
def subscribers():
    return render_template("admin/base.html")


@bp.get("/lists")
def lists():
    return render_template("admin/base.html")


@bp.get("/import")
def import_form():
    return render_template("admin/base.html")
