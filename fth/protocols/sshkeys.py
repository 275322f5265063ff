"""Load SSH private keys of any type paramiko supports, with clear errors."""

from typing import Optional

import paramiko


class KeyLoadError(Exception):
    pass


_KEY_CLASSES = (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey)


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
        except paramiko.SSHException as exc:
            if "passphrase" in str(exc).lower() or "decrypt" in str(exc).lower():
                needs_passphrase = True
        except (ValueError, TypeError) as exc:
            if passphrase is not None and "password" in str(exc).lower():
                needs_passphrase = True
    if needs_passphrase:
        if passphrase is None:
            raise KeyLoadError("private key is encrypted; give key_passphrase or key_passphrase_env")
        raise KeyLoadError("private key could not be decrypted: wrong passphrase?")
    raise KeyLoadError("is not a private key paramiko can read (Ed25519, ECDSA or RSA)")
