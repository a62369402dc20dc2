"""How a Snowflake session signs in: a key pair (key text or file, optional passphrase) or a password, the role
from the settings, and the timeouts every session runs under - through the real connector on fakesnow."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from config import secrets
from targets.warehouse.connect import connect
from targets.warehouse.snowflake_login import LoginError, connect_arguments, credentials

PASSPHRASE = "correct horse battery staple"


def pem(key: rsa.RSAPrivateKey, passphrase: str | None) -> bytes:
    encryption = (serialization.BestAvailableEncryption(passphrase.encode()) if passphrase
                  else serialization.NoEncryption())  # fmt: skip
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def der(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())  # fmt: skip


def test_a_key_file_with_its_passphrase_signs_in_without_a_password(snowflake, key, tmp_path, monkeypatch):
    path = tmp_path / "loader.p8"
    path.write_bytes(pem(key, PASSPHRASE))
    monkeypatch.delenv("SNOWFLAKE_LOAD_PASSWORD")
    monkeypatch.setenv("SNOWFLAKE_LOAD_PRIVATE_KEY_PATH", str(path))
    monkeypatch.setenv("SNOWFLAKE_LOAD_PRIVATE_KEY_PASSPHRASE", PASSPHRASE)
    secrets.require("LoadLicenses", "snowflake")  # a key is enough
    found = credentials("loader")
    assert found["private_key"] == der(key) and "password" not in found
    with connect("t", "loader") as s:
        assert s.execute("SELECT count(*) FROM raw.pipeline.markers") == [(0,)]
    login = snowflake.logins[-1]
    assert (login.profile, login.arguments["role"], login.arguments["credentials"]) == ("loader", "LOADER", "key pair")


def test_key_text_wins_over_a_password(key, monkeypatch):
    monkeypatch.setenv("SNOWFLAKE_ACCOUNT", "acct")
    monkeypatch.setenv("SNOWFLAKE_TRANSFORM_USER", "transformer")
    monkeypatch.setenv("SNOWFLAKE_TRANSFORM_PASSWORD", "fallback")
    monkeypatch.setenv("SNOWFLAKE_TRANSFORM_PRIVATE_KEY", pem(key, None).decode())
    monkeypatch.delenv("SNOWFLAKE_TRANSFORM_PRIVATE_KEY_PASSPHRASE", raising=False)
    found = credentials("transformer")
    assert found["private_key"] == der(key) and "password" not in found
    assert (found["role"], found["warehouse"]) == ("TRANSFORMER", "TRANSFORM_XS")
    monkeypatch.delenv("SNOWFLAKE_TRANSFORM_PRIVATE_KEY")
    assert credentials("transformer")["password"] == "fallback"


def test_the_permission_bot_reads_permifrosts_key_file(key, tmp_path: Path, monkeypatch):
    path = tmp_path / "bot.p8"
    path.write_bytes(pem(key, None))
    for name, value in {"PERMISSION_BOT_ACCOUNT": "acct", "PERMISSION_BOT_USER": "permission_bot",
                        "PERMISSION_BOT_WAREHOUSE": "ANALYST_XS", "PERMISSION_BOT_KEY_PATH": str(path)}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("PERMISSION_BOT_PASSWORD", raising=False)
    found = credentials("permission_bot")
    assert (found["role"], found["private_key"]) == ("PERMISSION_BOT", der(key))
    assert credentials("admin")["role"] == "SYSADMIN"


def test_a_wrong_passphrase_names_the_variable_and_leaks_nothing(key, monkeypatch):
    text = pem(key, PASSPHRASE).decode()
    monkeypatch.setenv("SNOWFLAKE_ACCOUNT", "acct")
    monkeypatch.setenv("SNOWFLAKE_LOAD_USER", "loader")
    monkeypatch.setenv("SNOWFLAKE_LOAD_PRIVATE_KEY", text)
    monkeypatch.setenv("SNOWFLAKE_LOAD_PRIVATE_KEY_PASSPHRASE", "wrong passphrase")
    with pytest.raises(LoginError, match="SNOWFLAKE_LOAD_PRIVATE_KEY: not a private key") as error:
        credentials("loader")
    assert "wrong passphrase" not in str(error.value) and text[40:80] not in str(error.value)
    assert error.value.__cause__ is None and error.value.__suppress_context__


def test_a_login_needs_a_key_or_a_password(monkeypatch):
    monkeypatch.setenv("SNOWFLAKE_ACCOUNT", "acct")
    monkeypatch.setenv("SNOWFLAKE_LOAD_USER", "loader")
    for name in ("PRIVATE_KEY", "PRIVATE_KEY_PATH", "PASSWORD"):
        monkeypatch.delenv(f"SNOWFLAKE_LOAD_{name}", raising=False)
    alternatives = "SNOWFLAKE_LOAD_PRIVATE_KEY or SNOWFLAKE_LOAD_PRIVATE_KEY_PATH or SNOWFLAKE_LOAD_PASSWORD"
    with pytest.raises(secrets.MissingSecretError, match=alternatives):
        secrets.require("LoadLicenses", "snowflake")


def test_every_session_has_bounded_waits_and_a_bounded_query_tag(settings, monkeypatch):
    """Snowflake's defaults: a statement may run two days and wait 12 hours for a lock."""
    settings.set("snowflake", "statement_timeout_seconds", 1800)
    settings.set("snowflake", "lock_timeout_seconds", 120)
    settings.set("snowflake", "network_timeout_seconds", 2000)
    for name in ("SNOWFLAKE_ACCOUNT", "SNOWFLAKE_LOAD_USER", "SNOWFLAKE_LOAD_PASSWORD"):
        monkeypatch.setenv(name, "x")
    arguments = connect_arguments("loader", "t" * 3000)
    assert arguments["network_timeout"] == 2000
    parameters = arguments["session_parameters"]
    assert (parameters["STATEMENT_TIMEOUT_IN_SECONDS"], parameters["LOCK_TIMEOUT"]) == (1800, 120)
    assert len(parameters["QUERY_TAG"]) == 2000 and parameters["TIMEZONE"] == "UTC"
