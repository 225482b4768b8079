"""The sender domain check (/admin/settings/sender-domain), for administrators: SPF,
DKIM, DMARC and alignment as Gmail's and Yahoo's bulk-sender rules want them, asked of
the DNS on every visit (`kkp.mail.sender_check`), with the records to publish."""

from __future__ import annotations

from flask import current_app, render_template

from kkp.auth.access import admin_required
from kkp.mail import sender_check
from kkp.mail.dns_lookup import DnsUnreachable, Lookup, resolver_for
from newsletter.admin.subscribers import bp


@bp.get("/settings/sender-domain")
@admin_required  # it names the servers and settings of the operator
def sender_domain_page():
    setup = sender_check.setup_from_config(current_app.config)
    try:
        report = sender_check.check_sender(setup, Lookup(resolver_for(current_app)))
    except DnsUnreachable:  # no resolver configured on this machine
        report = sender_check.Report(setup, unreachable=True)
    return render_template("admin/sender_domain.html", report=report)
