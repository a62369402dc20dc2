"""How a Snowflake session signs in: each profile's account, user, role and virtual warehouse, its credentials
(an RSA key pair, Snowflake's documented sign-in for service users, or a password as the fallback) and the
limits every session runs under.

The roles come from the settings (``[snowflake]``), the logins from the secrets registry (``config.secrets``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization

from config import secrets
from config.settings import snowflake as snowflake_settings
from targets.warehouse.session import Profile

MAX_QUERY_TAG = 2000  # Snowflake's limit on QUERY_TAG


class LoginError(ValueError):
    """A login's credentials are unusable (never carries their values)."""


def private_key(pem: bytes, passphrase: str | None, source: str) -> bytes:
    """The key of a PEM file or text as the DER (PKCS#8) bytes the connector takes; ``source`` names it in errors."""
    try:
        key = serialization.load_pem_private_key(pem, passphrase.encode() if passphrase else None)
    except (ValueError, TypeError) as exc:  # a wrong or missing passphrase, or not a PEM private key
        raise LoginError(f"{source}: not a private key this passphrase opens ({type(exc).__name__})") from None
    return key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())  # fmt: skip


ADMIN_ROLE = "SYSADMIN"  # Snowflake's role for owning databases and their objects


def _env_names(profile: Profile) -> dict[str, str]:
    """The variables of a profile's login; the permission bot's (the admin's too) are permifrost's own (a key
    file only)."""
    if profile in ("permission_bot", "admin"):
        return {"account": "PERMISSION_BOT_ACCOUNT", "user": "PERMISSION_BOT_USER", "key_path":
                "PERMISSION_BOT_KEY_PATH", "passphrase": "PERMISSION_BOT_KEY_PASSPHRASE",
                "password": "PERMISSION_BOT_PASSWORD", "warehouse": "PERMISSION_BOT_WAREHOUSE"}  # fmt: skip
    prefix = "SNOWFLAKE_LOAD" if profile == "loader" else "SNOWFLAKE_TRANSFORM"
    return {"account": "SNOWFLAKE_ACCOUNT", "user": f"{prefix}_USER", "key": f"{prefix}_PRIVATE_KEY",
            "key_path": f"{prefix}_PRIVATE_KEY_PATH", "passphrase": f"{prefix}_PRIVATE_KEY_PASSPHRASE",
            "password": f"{prefix}_PASSWORD"}  # fmt: skip


def role_and_warehouse(profile: Profile) -> tuple[str, str]:
    """The role a profile's sessions use (from the settings) and its virtual warehouse."""
    cfg = snowflake_settings()
    if profile == "loader":
        return cfg.load_role, cfg.load_warehouse
    if profile == "transformer":
        return cfg.transform_role, cfg.transform_warehouse
    return ADMIN_ROLE if profile == "admin" else cfg.permission_role, secrets.get("PERMISSION_BOT_WAREHOUSE")


def credentials(profile: Profile) -> dict[str, Any]:
    """Account, user, role, warehouse and either ``private_key`` (a key text or file wins over a password) or
    ``password``."""
    env = _env_names(profile)
    role, warehouse = role_and_warehouse(profile)
    found = {"account": secrets.get(env["account"]), "user": secrets.get(env["user"]), "role": role,
             "warehouse": warehouse}  # fmt: skip
    passphrase = secrets.get_optional(env["passphrase"])
    if "key" in env and (text := secrets.get_optional(env["key"])):
        return found | {"private_key": private_key(text.encode(), passphrase, env["key"])}
    if path := secrets.get_optional(env["key_path"]):
        return found | {"private_key": private_key(Path(path).read_bytes(), passphrase, env["key_path"])}
    return found | {"password": secrets.get(env["password"])}


def connect_arguments(profile: Profile, query_tag: str) -> dict[str, Any]:
    """Everything ``snowflake.connector.connect`` is given: the login, and a session pinned to UTC and a query
    tag, with bounded waits (Snowflake's defaults let a statement run for two days and wait 12 hours for a lock)."""
    cfg = snowflake_settings()
    return credentials(profile) | {
        "login_timeout": cfg.login_timeout,
        "network_timeout": cfg.network_timeout_seconds,
        "autocommit": True,
        "session_parameters": {
            "QUERY_TAG": query_tag[:MAX_QUERY_TAG],
            "TIMEZONE": "UTC",
            "TIMESTAMP_TYPE_MAPPING": "TIMESTAMP_NTZ",
            "STATEMENT_TIMEOUT_IN_SECONDS": cfg.statement_timeout_seconds,
            "LOCK_TIMEOUT": cfg.lock_timeout_seconds,
        },
    }
