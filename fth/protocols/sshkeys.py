"""Load SSH private keys of any type paramiko supports, with clear errors."""

from typing import Optional

import paramiko


class KeyLoadError(Exception):
    pass


_KEY_CLASSES = (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey)
# What paramiko says when a passphrase does not decrypt a key, depending on key type and format.
_WRONG_PASSPHRASE_WORDS = ("passphrase", "password", "decrypt", "checkints")


def load_private_key(path: str, passphrase: Optional[str] = None) -> paramiko.PKey:
    """The private key in ``path`` (Ed25519, ECDSA or RSA, OpenSSH or PEM format)."""
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise KeyLoadError(f"cannot read private key: {exc.strerror}") from None
    needs_passphrase = False
    for key_class in _KEY_CLASSES:
        try:
            return key_class.from_private_key_file(path, password=passphrase)
        except paramiko.PasswordRequiredException:
            needs_passphrase = True
        except (paramiko.SSHException, ValueError, TypeError) as exc:
            if any(word in str(exc).lower() for word in _WRONG_PASSPHRASE_WORDS):
                needs_passphrase = True
    if passphrase is not None and not needs_passphrase:
        # A wrong passphrase can read as a corrupt key ("Invalid key"): ask whether it is encrypted at all.
        needs_passphrase = _is_encrypted(path)
    if needs_passphrase:
        if passphrase is None:
            raise KeyLoadError("private key is encrypted; give key_passphrase or key_passphrase_env")
        raise KeyLoadError("private key could not be decrypted: wrong passphrase?")
    raise KeyLoadError("is not a private key paramiko can read (Ed25519, ECDSA or RSA)")


def _is_encrypted(path: str) -> bool:
    for key_class in _KEY_CLASSES:
        try:
            key_class.from_private_key_file(path, password=None)
        except paramiko.PasswordRequiredException:
            return True
        except (paramiko.SSHException, ValueError, TypeError):
            continue
        return False
    return False
