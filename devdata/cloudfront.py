"""CloudFront standard access logs: security-update checks and release downloads (fields: docs/warehouse-layout.md)."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime
from urllib.parse import quote, urlencode

from devdata.logfiles import Line, LogFile, inject_malformed, render
from devdata.model import DirtOptions, DirtRecord, LandingFile, at, seeded, upper_id
from devdata.world import DESKTOP_VERSIONS, SERVER_VERSIONS, Server, World

DIAGNOSTIC_LOCATION_ONE = "ESECCHECKONE01"
DIAGNOSTIC_LOCATION_TWO = "ESECCHECKTWO02"
RELEASE_LOCATION = "ERELEASES00001"
DIAGNOSTIC_HOSTS = ("d2k3bvs1x9s8qa.cloudfront.net", "d7zmvsa9e04kk.cloudfront.net")  # current, older
RELEASE_HOST = "d3j5lb4fyvfpt0.cloudfront.net"

FIELDS = [
    "date", "time", "x-edge-location", "sc-bytes", "c-ip", "cs-method", "cs(Host)", "cs-uri-stem", "sc-status",
    "cs(Referer)", "cs(User-Agent)", "cs-uri-query", "cs(Cookie)", "x-edge-result-type", "x-edge-request-id",
    "x-host-header", "cs-protocol", "cs-bytes", "time-taken", "x-forwarded-for", "ssl-protocol", "ssl-cipher",
    "x-edge-response-result-type", "cs-protocol-version", "fle-status", "fle-encrypted-fields",
]
NEWER_FIELDS = FIELDS + [
    "c-port", "time-to-first-byte", "x-edge-detailed-result-type", "sc-content-type", "sc-content-len",
    "sc-range-start", "sc-range-end",
]

EDGES = ["FRA2-C1", "FRA56-C2", "IAD89-C3", "IAD79-C1", "SFO5-C3", "LHR62-C2", "NRT57-C2", "GRU1-C1", "BOM51-C1",
         "SYD1-C2", "AMS50-C1", "ORD51-C4"]
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_CIPHER = "ECDHE-RSA-AES128-GCM-SHA256"

# CloudFront writes User-Agent values URL-encoded (spaces as %20).
_BROWSER_AGENTS = [
    "Mozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)%20AppleWebKit/537.36%20(KHTML,%20like%20Gecko)"
    "%20Chrome/80.0.3987.122%20Safari/537.36",
    "Mozilla/5.0%20(Macintosh;%20Intel%20Mac%20OS%20X%2010_15_3)%20AppleWebKit/605.1.15%20(KHTML,%20like%20Gecko)"
    "%20Version/13.0.5%20Safari/605.1.15",
    "Mozilla/5.0%20(X11;%20Ubuntu;%20Linux%20x86_64;%20rv:73.0)%20Gecko/20100101%20Firefox/73.0",
]
_CLI_AGENTS = ["Wget/1.19.4%20(linux-gnu)", "curl/7.58.0", "Wget/1.14%20(linux-gnu)", "python-requests/2.22.0"]
_REFERRERS = [
    "https://mattermost.com/download/", "https://docs.mattermost.com/install/install-ubuntu-1804.html",
    "https://github.com/mattermost/desktop/releases", "https://www.google.com/",
]


def diagnostics_files(world: World, seed: int, dirt: DirtOptions, record: DirtRecord) -> list[LandingFile]:
    """Each server's daily security-update check, on the distribution it uses, plus the injected dirt."""
    rng = seeded(seed, "diagnostics")
    per_dist: dict[int, list[tuple[datetime, Line]]] = defaultdict(list)
    pings = _pings(rng, world, dirt, record)
    double_encoded = set(rng.sample(range(len(pings)), min(dirt.double_encoded_lines, len(pings))))
    for i, (server, moment, ip) in enumerate(pings):
        per_dist[server.distribution].append((moment, security_line(rng, server, moment, ip, i in double_encoded)))
    files = []
    for dist, location in enumerate((DIAGNOSTIC_LOCATION_ONE, DIAGNOSTIC_LOCATION_TWO)):
        files += _hourly_files(rng, f"diagnostics/{location}", location, per_dist[dist], dirt)
    _mark_wide(rng, files, dirt.wide_files)
    inject_malformed(rng, files, dirt.malformed_lines)
    return render(files, "\t", record)


def releases_files(world: World, seed: int, dirt: DirtOptions, record: DirtRecord, per_day: int) -> list[LandingFile]:
    """`per_day` downloads a day from releases.mattermost.com: `dirt.partial_downloads` partial, at least one 404."""
    rng = seeded(seed, "releases")
    artifacts = catalog(rng)
    entries = []
    for day in world.window():
        for i in range(per_day):
            moment = at(day, rng.uniform(0, 86399))
            kind = "partial" if i < dirt.partial_downloads else "missing" if i == dirt.partial_downloads else None
            entries.append((moment, download_line(rng, moment, artifacts, kind)))
    files = _hourly_files(rng, f"releases/{RELEASE_LOCATION}", RELEASE_LOCATION, entries, dirt)
    _mark_wide(rng, files, dirt.wide_files)
    inject_malformed(rng, files, dirt.malformed_lines)
    return render(files, "\t", record)


def cloudfront_key(prefix: str, dist: str, day: date, hour: int, uid: str) -> str:
    return f"{prefix}/{dist}.{day.isoformat()}-{hour:02d}.{uid}.gz"


def header(wide: bool) -> list[str]:
    return ["#Version: 1.0", "#Fields: " + " ".join(NEWER_FIELDS if wide else FIELDS)]


def _pings(rng: random.Random, world: World, dirt: DirtOptions,
           record: DirtRecord) -> list[tuple[Server, datetime, str]]:
    """(server, moment, ip) per daily check; a server checks at about the same time each day."""
    seconds = {s.id: rng.uniform(600, 85000) for s in world.servers}
    pings = []
    for offset, day in enumerate(world.window()):
        for server in world.servers:
            if offset >= server.first_day:
                jitter = rng.uniform(-300, 300)
                pings.append((server, at(day, seconds[server.id] + jitter), server.ip))
    for server, moment, ip in rng.sample(pings, min(dirt.duplicate_pings, len(pings))):
        # A restart or a second node behind another address checks again the same day.
        again = at(moment.date(), rng.uniform(0, 86399))
        pings.append((server, again, rng.choice([ip, _other_ip(rng, ip)])))
        record.duplicate_pings.append((server.id, moment.date()))
    return pings


def _other_ip(rng: random.Random, ip: str) -> str:
    head, last = ip.rsplit(".", 1)
    return f"{head}.{(int(last) + rng.randint(1, 100)) % 254 + 1}"


def _counts(rng: random.Random, server: Server, moment: datetime) -> tuple[int, int]:
    """(auc, uc) of a check: fewer active users at weekends; some servers report uc < auc."""
    auc = round(server.active_users * rng.uniform(0.85, 1.05) * (0.6 if moment.weekday() >= 5 else 1.0))
    if server.uc_below_auc:
        auc = max(auc, 2)
        return auc, auc // 2
    return auc, server.users


def security_query(server: Server, auc: int, uc: int) -> str:
    """The query as Go's url.Values.Encode() sends it: keys sorted."""
    params = {"auc": auc, "b": server.build, "be": str(server.enterprise).lower(), "db": server.db, "id": server.id,
              "os": server.os, "tc": server.teams, "uc": uc, "ut": int(server.ran_tests)}
    return urlencode(sorted(params.items()))


def security_line(rng: random.Random, server: Server, moment: datetime, ip: str, double_encoded: bool) -> Line:
    query = security_query(server, *_counts(rng, server, moment))
    if double_encoded:
        # The query arrived percent-encoded and CloudFront encoded its `%` again: `=` is logged as `%253D`.
        query = quote(quote(query, safe=""), safe="")
    edge = EDGES[int(server.id[:6], 36) % len(EDGES)]
    request_id = "".join(rng.choices(_B64, k=54)) + "=="
    fields = [moment.date().isoformat(), moment.strftime("%H:%M:%S"), edge, str(rng.randint(470, 520)), ip, "GET",
              DIAGNOSTIC_HOSTS[server.distribution], "/security", "200", "-", "Go-http-client/1.1", query, "-",
              "Miss", request_id, "securityupdatecheck.mattermost.com", "https", str(120 + len(query)),
              f"{rng.uniform(0.002, 0.120):.3f}", "-", "TLSv1.2", _CIPHER, "Miss", "HTTP/1.1", "-", "-"]
    extra = [str(rng.randint(1024, 65535)), f"{rng.uniform(0.001, 0.1):.3f}", "Miss", "application/json", "2", "-",
             "-"]
    return Line(fields, extra, "double_encoded" if double_encoded else None)


def catalog(rng: random.Random) -> list[tuple[str, int, float]]:
    """(uri, size in bytes, popularity) of the downloadable artifacts."""
    items = []
    for version, weight in SERVER_VERSIONS[:6]:
        items.append((f"/{version}/mattermost-team-{version}-linux-amd64.tar.gz",
                        rng.randint(150_000_000, 170_000_000), weight * 1.0))
        items.append((f"/{version}/mattermost-{version}-linux-amd64.tar.gz", rng.randint(175_000_000, 195_000_000),
                        weight * 1.5))
    for version in DESKTOP_VERSIONS:
        base = f"/desktop/{version}/mattermost-desktop"
        for uri, weight in [(f"{base}-setup-{version}-win.exe", 10), (f"{base}-{version}-x64.msi", 3),
                            (f"{base}-{version}-mac.dmg", 6), (f"{base}-{version}-linux-amd64.deb", 3),
                            (f"{base}-{version}-linux-x64.tar.gz", 1)]:
            items.append((uri, rng.randint(60_000_000, 95_000_000), float(weight)))
    return items


def download_line(rng: random.Random, moment: datetime, artifacts: list[tuple[str, int, float]],
                  kind: str | None = None) -> Line:
    """A download; `kind` "partial" forces a 206 range or an aborted 200, "missing" a 404."""
    uri, size, _ = rng.choices(artifacts, weights=[w for _, _, w in artifacts])[0]
    status, sent, result, ranged = "200", size + rng.randint(300, 420), "Hit", ("-", "-")
    roll = rng.random()
    if kind == "partial" and roll < 0.5:  # a resumed download: the tail of the file as a 206 range
        first = rng.randint(1, size - 1)
        status, sent, ranged = "206", size - first + 420, (str(first), str(size - 1))
    elif kind == "partial":  # the viewer gave up part way
        sent, result = rng.randint(10_000, size // 2), "Error"
    elif kind == "missing" or roll < 0.03:  # a version that was never published
        version = uri.split("/")[2 if uri.startswith("/desktop/") else 1]
        uri = uri.replace(version, version + "9")
        status, sent, result = "404", rng.randint(480, 560), "Error"
    elif roll < 0.07:
        result = "Miss"
    browser = "/desktop/" in uri or rng.random() < 0.3
    agent = rng.choice(_BROWSER_AGENTS if browser else _CLI_AGENTS)
    referrer = rng.choice(_REFERRERS) if browser else "-"
    fields = [moment.date().isoformat(), moment.strftime("%H:%M:%S"), rng.choice(EDGES), str(sent),
              _client_ip(rng), "GET", RELEASE_HOST, uri, status, referrer, agent, "-", "-", result,
              "".join(rng.choices(_B64, k=54)) + "==", "releases.mattermost.com", "https", str(rng.randint(180, 420)),
              f"{sent / rng.uniform(2e6, 60e6):.3f}", "-", "TLSv1.3", "TLS_AES_128_GCM_SHA256", result,
              "HTTP/2.0" if browser else "HTTP/1.1", "-", "-"]
    extra = [str(rng.randint(1024, 65535)), f"{rng.uniform(0.005, 0.3):.3f}", result, "application/octet-stream",
             str(size), *ranged]
    return Line(fields, extra, kind if kind == "partial" else None)


def _client_ip(rng: random.Random) -> str:
    return f"{rng.randint(24, 223)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randint(1, 254)}"


def _hourly_files(rng: random.Random, prefix: str, dist: str, entries: list[tuple[datetime, Line]],
                  dirt: DirtOptions) -> list[LogFile]:
    """One or two files per hour that has requests, lines not in time order; some hours get a late file too."""
    by_day: dict[date, dict[int, list[Line]]] = defaultdict(lambda: defaultdict(list))
    for moment, line in sorted(entries, key=lambda e: e[0]):
        by_day[moment.date()][moment.hour].append(line)
    files = []
    for day, hours in sorted(by_day.items()):
        day_files = []
        for hour, lines in sorted(hours.items()):
            rng.shuffle(lines)
            cut = rng.randint(1, len(lines) - 1) if len(lines) >= 4 and rng.random() < 0.3 else len(lines)
            for part in (lines[:cut], lines[cut:]):
                if part:
                    key = cloudfront_key(prefix, dist, day, hour, upper_id(rng, 11))
                    day_files.append(LogFile(key, part, header(False)))
        files += day_files + _late_files(rng, prefix, dist, day, day_files, dirt.late_files_per_day)
    return files


def _late_files(rng: random.Random, prefix: str, dist: str, day: date, day_files: list[LogFile],
                count: int) -> list[LogFile]:
    """Move part of some hours' lines into a second file for the same hour that lands late."""
    late = []
    for f in rng.sample(day_files, min(count, len(day_files))):
        if len(f.lines) == 1:
            f.late = True
            continue
        moved, f.lines = f.lines[len(f.lines) // 2:], f.lines[: len(f.lines) // 2]
        hour = int(f.key.rsplit(".", 3)[1][-2:])  # <dist>.<YYYY-MM-DD-HH>.<uid>.gz
        late.append(LogFile(cloudfront_key(prefix, dist, day, hour, upper_id(rng, 11)), moved, f.header, late=True))
    return late


def _mark_wide(rng: random.Random, files: list[LogFile], count: int) -> None:
    """Some files come in the newer 33-field format, announced by their #Fields header."""
    for f in rng.sample(files, min(count, len(files))):
        f.wide, f.header = True, header(True)
