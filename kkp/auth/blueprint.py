"""Login, logout, the dashboard, API tokens, editors and the audit log."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from kkp.auth import audit_pages, limits, operations, sessions, tables
from kkp.auth.access import admin_required
from kkp.auth.dashboard import dashboard_context, dashboard_part
from kkp.auth.forms import EditorForm, LoginForm, PasswordForm, TokenForm
from kkp.auth.models import ApiToken
from kkp.errors import error_response, wants_json
from kkp.extensions import db, login_manager
from kkp.redirects import safe_local_path
from kkp.tables import Sorting, TextFilter
from kkp.views import saving

bp = Blueprint("auth", __name__, url_prefix="/admin")

#: where the domains register their parts of the start page (see kkp.auth.dashboard)
__all__ = ["bp", "dashboard_part"]


@bp.before_request
def _require_editor():
    if request.endpoint in ("auth.login", "auth.logout"):
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


@login_manager.unauthorized_handler
def unauthorized():
    if wants_json():  # a script of the editors' pages, after the session ended
        return error_response(401)
    if sessions.ended_for_idleness():
        flash(
            _(
                "You were logged out after %(minutes)d minutes without activity. "
                "Please log in again.",
                minutes=current_app.config["KKP_EDITOR_IDLE_MINUTES"],
            ),
            "info",
        )
    else:
        flash(_("Please log in."), "info")
    return redirect(url_for("auth.login", next=request.full_path))


@bp.route("/login", methods=["GET", "POST"])
@limits.limit_login_failures
def login():
    form = LoginForm()
    if form.validate_on_submit():
        editor = operations.authenticate(form.email.data, form.password.data)
        if editor is None:
            db.session.commit()
            limits.record_failure()
            form.password.errors.append(_("E-mail address or password is wrong."))
        else:
            db.session.commit()
            sessions.start_session(editor)
            return redirect(safe_local_path(request.args.get("next"), url_for("auth.dashboard")))
    return render_template("auth/login.html", form=form), 200 if not form.errors else 400


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        with saving():
            sessions.end_all_sessions(current_user)
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.get("/")
def dashboard():
    return render_template("auth/dashboard.html", **dashboard_context())


@bp.route("/tokens", methods=["GET", "POST"])
def tokens():
    form = TokenForm()
    secret = None
    if form.validate_on_submit():
        with saving(form) as saved:
            _token, secret = operations.create_token(current_user, form.name.data)
        if saved:  # shown once, on this page: no redirect
            form = TokenForm(formdata=None)
    flt = TextFilter.from_args(request.args)
    sorting = Sorting.from_args(request.args, tables.TOKEN_COLUMNS)
    page = tables.token_page(
        flt,
        sorting,
        request.args.get("page", type=int),
        editor_id=None if current_user.is_admin else current_user.id,
    )
    return render_template(
        "auth/tokens.html",
        form=form,
        tokens=page.rows,
        page=page,
        flt=flt,
        sorting=sorting,
        secret=secret,
    ), 400 if form.errors else 200


@bp.post("/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int):
    token = db.get_or_404(ApiToken, token_id)
    if token.editor_id != current_user.id and not current_user.is_admin:
        return render_template("errors/error.html", status=403, message=_("Not allowed.")), 403
    with saving() as saved:
        operations.revoke_token(token)
    if saved:
        flash(_("The token was revoked."), "success")
    return redirect(url_for("auth.tokens"))


@bp.route("/editors", methods=["GET", "POST"])
@admin_required
def editors():
    form = EditorForm()
    if form.validate_on_submit():
        with saving(form, default="email", refused=operations.EditorError) as saved:
            operations.create_editor(
                form.email.data,
                role=form.role.data,
                password=form.password.data,
                name=form.name.data or "",
            )
        if saved:
            flash(_("The editor was created."), "success")
            return redirect(url_for("auth.editors"))
    flt = TextFilter.from_args(request.args)
    sorting = Sorting.from_args(request.args, tables.EDITOR_COLUMNS)
    page = tables.editor_page(flt, sorting, request.args.get("page", type=int))
    return render_template(
        "auth/editors.html", form=form, editors=page.rows, page=page, flt=flt, sorting=sorting
    )


@bp.get("/audit")
@admin_required
def audit_log():
    flt = audit_pages.read_filter()
    page = audit_pages.audit_page(flt)
    return render_template(
        "auth/audit.html", flt=flt, page=page, choices=audit_pages.choices()
    ), 400 if flt.errors else 200


@bp.route("/account", methods=["GET", "POST"])
@limits.limit_password_failures
def account():
    form = PasswordForm()
    if form.validate_on_submit():
        if form.new.data != form.repeat.data:
            form.repeat.errors.append(_("The two new passwords differ."))
        else:
            with saving(refused=operations.EditorError, quiet=True) as saved:
                operations.change_password(current_user, form.current.data, form.new.data)
            if not saved:
                limits.record_failure()
                form.current.errors.append(_("The current password is wrong."))
            else:
                sessions.start_session(current_user)  # the others ended, this one goes on
                flash(_("Your password was changed."), "success")
                return redirect(url_for("auth.account"))
    status = 400 if form.errors else 200
    return render_template("auth/account.html", form=form), status
