"""Segment telemetry tables: one row per server and day, NPS now and then (columns: dbt/models/sources/segment.yml)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from devdata.model import DirtOptions, DirtRecord, Table, at, epoch_ms, mm_id, seeded, uuid4
from devdata.world import Server, World

COMMON = [
    ("id", "VARCHAR"), ("user_id", "VARCHAR"), ("event", "VARCHAR"), ("event_text", "VARCHAR"),
    ("timestamp", "TIMESTAMP"), ("received_at", "TIMESTAMP"), ("sent_at", "TIMESTAMP"),
    ("original_timestamp", "TIMESTAMP"), ("context_library_version", "VARCHAR"),
]
FEATURES = [
    "cluster", "compliance", "custom_brand", "custom_permissions_schemes", "data_retention", "elastic_search",
    "email_notification_contents", "future", "google", "guest_accounts", "guest_accounts_permissions", "id_loaded",
    "ldap", "ldap_groups", "lock_teammate_name_display", "message_export", "metrics", "mfa", "mhpns", "office365",
    "password", "saml",
]
E10_FEATURES = {
    "ldap", "mfa", "google", "office365", "password", "mhpns", "custom_brand", "id_loaded", "guest_accounts",
}
ACTIVITY_COUNTS = [
    "active_users", "active_users_daily", "active_users_monthly", "bot_accounts", "bot_posts_previous_day",
    "direct_message_channels", "incoming_webhooks", "outgoing_webhooks", "posts", "posts_previous_day",
    "private_channels", "private_channels_deleted", "public_channels", "public_channels_deleted",
    "registered_deactivated_users", "registered_inactive_users", "registered_users", "slash_commands", "teams",
]
SCHEMAS = {
    ("mattermost2", "server"): [("version", "VARCHAR"), ("edition", "VARCHAR"), ("operating_system", "VARCHAR"),
                                ("database_type", "VARCHAR"), ("system_admins", "BIGINT")],
    ("mattermost2", "license"): [("license_id", "VARCHAR"), ("customer_id", "VARCHAR"), ("edition", "VARCHAR"),
                                 ("issued", "BIGINT"), ("_start", "BIGINT"), ("expire", "BIGINT"),
                                 ("users", "BIGINT")] + [(f"feature_{f}", "BOOLEAN") for f in FEATURES],
    ("mattermost2", "activity"): [(c, "BIGINT") for c in ACTIVITY_COUNTS] + [("used_apiv3", "BOOLEAN")],
    ("mattermost_nps", "nps_score"): [
        ("server_id", "VARCHAR"), ("user_actual_id", "VARCHAR"), ("score", "BIGINT"), ("license_id", "VARCHAR"),
        ("license_sku", "VARCHAR"), ("server_version", "VARCHAR"), ("user_role", "VARCHAR"),
        ("server_install_date", "BIGINT"), ("user_create_at", "BIGINT")],
    ("mattermost_nps", "nps_feedback"): [("server_id", "VARCHAR"), ("user_actual_id", "VARCHAR"),
                                         ("feedback", "VARCHAR")],
}
FEEDBACK = [
    "Love the product, search could be faster.", "Mobile notifications are sometimes delayed.",
    "Great alternative to Slack for our air-gapped network.", "Threads please!", "The desktop app uses too much RAM.",
    "Easy to self-host, upgrades are painless.", "Hard to find old messages.",
]
_SCORE_WEIGHTS = [2, 1, 1, 2, 2, 4, 5, 10, 14, 20, 25]
_LIBRARY = "3.0.0"  # analytics-go


def segment_tables(world: World, seed: int, dirt: DirtOptions, record: DirtRecord) -> list[Table]:
    rng = seeded(seed, "segment")
    rows: dict[tuple[str, str], list[tuple]] = {key: [] for key in SCHEMAS}
    tracked = [s for s in world.servers if s.tracking]
    second = {s.id: rng.uniform(0, 86000) for s in tracked}
    days = [(offset, day, s) for offset, day in enumerate(world.window()) for s in tracked if offset >= s.first_day]
    twice = {(s.id, day) for _, day, s in rng.sample(days, min(dirt.segment_duplicates, len(days)))}
    record.segment_duplicates.extend(sorted(twice))
    for offset, day, server in days:
        seconds = second[server.id] + rng.uniform(0, 300)
        moment = at(day, seconds)
        rows[("mattermost2", "server")].append(_server_row(rng, server, moment))
        if (server.id, day) in twice:  # telemetry sent again after a restart, the same day; staging keeps the latest
            rows[("mattermost2", "server")].append(_server_row(rng, server, at(day, rng.uniform(seconds + 1, 86399))))
        rows[("mattermost2", "activity")].append(_activity_row(rng, server, moment, offset))
        license_row = _license_row(rng, world, server, moment, day)
        if license_row:
            rows[("mattermost2", "license")].append(license_row)
        if rng.random() < 0.08 or not rows[("mattermost_nps", "nps_score")]:  # at least one answer
            _nps(rng, world, server, day, rows)
    return [Table(schema, name, COMMON + SCHEMAS[(schema, name)], rows[(schema, name)]) for schema, name in SCHEMAS]


def _common(rng: random.Random, server: Server, event: str, moment: datetime) -> tuple:
    moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)  # Segment keeps milliseconds
    sent = moment + timedelta(milliseconds=rng.randint(5, 2000))
    received = sent + timedelta(milliseconds=rng.randint(20, 3000))
    return uuid4(rng), server.id, event, event, moment, received, sent, moment, _LIBRARY


def _server_row(rng: random.Random, server: Server, moment: datetime) -> tuple:
    return _common(rng, server, "server", moment) + (
        server.version, str(server.enterprise).lower(), server.os, server.db, rng.randint(1, 3))


def _activity_row(rng: random.Random, server: Server, moment: datetime, offset: int) -> tuple:
    daily = round(server.active_users * rng.uniform(0.85, 1.05))
    channels = server.teams * 5 + server.users // 4
    counts = {
        "active_users": daily, "active_users_daily": daily,
        "active_users_monthly": min(server.users, round(server.active_users * 1.3)),
        "bot_accounts": rng.randint(0, 4), "bot_posts_previous_day": rng.randint(0, 50),
        "direct_message_channels": server.users * 3, "incoming_webhooks": rng.randint(0, 6),
        "outgoing_webhooks": rng.randint(0, 2), "posts": server.users * 400 + offset * daily * 12,
        "posts_previous_day": daily * rng.randint(5, 20), "private_channels": channels // 3,
        "private_channels_deleted": rng.randint(0, 3), "public_channels": channels,
        "public_channels_deleted": rng.randint(0, 5), "registered_deactivated_users": server.users // 20,
        "registered_inactive_users": server.users // 10, "registered_users": server.users,
        "slash_commands": rng.randint(0, 4), "teams": server.teams,
    }
    return _common(rng, server, "activity", moment) + tuple(counts[c] for c in ACTIVITY_COUNTS) + (False,)


def _license_row(rng: random.Random, world: World, server: Server, moment: datetime, day: date) -> tuple | None:
    if server.customer is None:
        return None
    customer = world.customers[server.customer]
    deal = customer.license_on(day)
    if deal is None or deal.issued is None:
        return None
    features = {f: (deal.sku == "E20" and f != "future") or f in E10_FEATURES for f in FEATURES}
    return _common(rng, server, "license", moment) + (
        deal.license_id, customer.customer_id, deal.sku, epoch_ms(deal.issued), epoch_ms(at(deal.start, 0)),
        epoch_ms(at(deal.end, 86399)), deal.users) + tuple(features[f] for f in FEATURES)


def _nps(rng: random.Random, world: World, server: Server, day: date, rows: dict) -> None:
    """A user answers the NPS survey; some also leave feedback a minute later."""
    moment = at(day, rng.uniform(8 * 3600, 20 * 3600))
    user = mm_id(rng)
    deal = world.customers[server.customer].license_on(day) if server.customer is not None else None
    score = rng.choices(range(11), weights=_SCORE_WEIGHTS)[0]
    created = server.installed + timedelta(days=rng.randint(0, 300))
    rows[("mattermost_nps", "nps_score")].append(_common(rng, server, "nps_score", moment) + (
        server.id, user, score, deal.license_id if deal else "", deal.sku if deal else "", server.version,
        "system_admin" if rng.random() < 0.1 else "system_user", epoch_ms(server.installed),
        epoch_ms(min(created, moment))))
    if rng.random() < 0.4 or not rows[("mattermost_nps", "nps_feedback")]:
        later = moment + timedelta(seconds=rng.randint(10, 120))
        rows[("mattermost_nps", "nps_feedback")].append(_common(rng, server, "nps_feedback", later) + (
            server.id, user, rng.choice(FEEDBACK)))
