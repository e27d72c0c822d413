"""Feed passwords and tokens, encrypted at rest.

Fernet (AES-128-CBC with HMAC-SHA256) under a key derived with HKDF-SHA256 from the node's
Django ``SECRET_KEY`` (the ``secret_key`` file of the data directory, mode 0600), with an
``info`` string that binds the key to this use. The database therefore never holds a feed
secret in clear; a copy of the database without the data directory's key file cannot be
decrypted. Replacing ``secret_key`` makes stored secrets unreadable: the feed then fails with
a message asking to enter the password again.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

__all__ = ["SecretUnavailable", "decrypt_secret", "encrypt_secret"]

_INFO = b"accord feeds: TAXII credential encryption v1"
# The module's path when the first secrets were stored, not its path now: part of the key of
# every stored secret, so it never changes.
_SALT = b"accord.federation.feeds"


class SecretUnavailable(Exception):
    """A stored secret cannot be decrypted (the node's secret key changed)."""


def _fernet() -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=_INFO).derive(
        settings.SECRET_KEY.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt_secret(plain: str) -> str:
    """The Fernet token of ``plain`` ('' for an empty secret)."""
    if not plain:
        return ""
    return _fernet().encrypt(plain.encode()).decode("ascii")


def decrypt_secret(token: str) -> str:
    """The secret in clear, for the one request that needs it; never log or show it."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, ValueError) as exc:
        raise SecretUnavailable(
            "the stored password or token cannot be decrypted (the node's secret key has "
            "changed): enter it again in the feed's settings"
        ) from exc
