"""Links' tokens (kkp.tokens): made by our own fast path, read by itsdangerous, bound to
their purpose and the secret key."""

from __future__ import annotations

import pytest
from itsdangerous import BadSignature, URLSafeTimedSerializer

from kkp.tokens import InvalidToken, TokenPurpose, make_token, read_token

PAYLOAD = {"s": 4711, "h": "0123456789abcdef", "l": [1, 3], "n": "Jörg Müller"}


def test_itsdangerous_reads_what_make_token_makes(app):
    """The token is exactly what itsdangerous would accept from its own `dumps`: the
    same salt, key derivation, timestamp and signature."""
    with app.app_context():
        token = make_token(TokenPurpose.UNSUBSCRIBE, PAYLOAD)
        own = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="kkp.unsubscribe")
        assert own.loads(token, max_age=60) == PAYLOAD
        assert read_token(TokenPurpose.UNSUBSCRIBE, token, max_age=60) == PAYLOAD
        assert token.isascii() and "=" not in token  # fits a URL's path as it is


def test_a_token_is_bound_to_its_purpose_and_key(app):
    with app.app_context():
        token = make_token(TokenPurpose.PREFERENCES, PAYLOAD)
        with pytest.raises(InvalidToken):
            read_token(TokenPurpose.UNSUBSCRIBE, token)
        with pytest.raises(BadSignature):
            URLSafeTimedSerializer("another key", salt="kkp.preferences").loads(token)
        head, _, signature = token.rpartition(".")
        with pytest.raises(InvalidToken):
            read_token(TokenPurpose.PREFERENCES, head + "." + signature[::-1])


def test_an_old_token_is_expired_and_an_unknown_purpose_refused(app):
    with app.app_context():
        token = make_token(TokenPurpose.CONFIRM, {"s": 1})
        with pytest.raises(InvalidToken) as caught:
            read_token(TokenPurpose.CONFIRM, token, max_age=-1)
        assert caught.value.expired
        with pytest.raises(ValueError):
            make_token("anything", {"s": 1})
