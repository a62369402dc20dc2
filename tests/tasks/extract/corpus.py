"""Log lines as AWS writes them, each with what the load must make of it: AWS's documented field lists and
example entries (ALB access log entries, CloudFront standard log fields: legacy 26 and 33 fields, standard logging
v2), the shapes real logs take (IPv6 clients, quoted fields with spaces, -1 timings, '-' placeholders, Lambda
targets, WebSocket, HTTP/2, gRPC, the newer ALB fields) and the ones that must be rejects. docs/log-formats.md
lists how Snowflake's COPY handles each case, by its id."""

from __future__ import annotations

from dataclasses import dataclass, field

T = "\t"


@dataclass(frozen=True)
class Case:
    id: str
    line: str
    row: dict[str, str | None] = field(default_factory=dict)  # columns the loaded row must hold
    reject: str = ""  # or: the start of the reject's reason


# -- ALB access log entries (space-separated, some fields double-quoted) --------------------------------------------
ARN = "arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067"
CERT = "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012"
NEWER = '"10.0.0.1:80" "200" "-" "-" TID_1234abcd5678ef90 "-" "-" "-"'  # target:port_list ... request_transform

ALB_CASES = [
    Case(
        "alb-http",
        "http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 "
        f'0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - {ARN} '
        '"Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 2018-07-02T22:22:48.364000Z "forward" "-" "-" '
        '"10.0.0.1:80" "200" "-" "-"',
        {
            "type": "http",
            "request": "GET http://www.example.com:80/ HTTP/1.1",
            "user_agent": "curl/7.46.0",
            "ssl_cipher": "-",
            "target_status_code": "200",
            "dash2": "-",
        },
    ),
    Case(
        "alb-https-newer-fields",
        "https 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 "
        '0.086 0.048 0.037 200 200 0 57 "GET https://www.example.com:443/ HTTP/1.1" "curl/7.46.0" '
        f'ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 {ARN} "Root=1-58337281-1d84f3d73c47ec4e58577259" '
        f'"www.example.com" "{CERT}" 1 2018-07-02T22:22:48.364000Z "authenticate,forward" "-" "-" {NEWER}',
        {
            "type": "https",
            "ssl_protocol": "TLSv1.2",
            "domain_name": "www.example.com",
            "chosen_cert_arn": CERT,
            "actions_executed": "authenticate,forward",
            "request_processing_time": "0.086",
        },
    ),
    Case(
        "alb-http2",
        "h2 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 10.0.1.252:48160 10.0.0.66:9000 "
        '0.000 0.002 0.000 200 200 5 257 "GET https://10.0.2.105:773/ HTTP/2.0" "curl/7.46.0" '
        f'ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 {ARN} "Root=1-58337327-72bd00b0343d75b906739c42" "-" "-" 1 '
        f'2018-07-02T22:22:48.364000Z "redirect" "https://example.com:80/" "-" {NEWER}',
        {"type": "h2", "request": "GET https://10.0.2.105:773/ HTTP/2.0", "dash1": "https://example.com:80/"},
    ),
    Case(
        "alb-websocket",
        "ws 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 10.0.0.140:40914 10.0.1.192:8010 "
        f'0.001 0.003 0.000 101 101 218 587 "GET http://10.0.0.30:80/ HTTP/1.1" "-" - - {ARN} '
        f'"Root=1-58337364-23a8c76965a2ef7629b185e3" "-" "-" 1 2018-07-02T22:22:48.364000Z "forward" "-" "-" {NEWER}',
        {"type": "ws", "elb_status_code": "101", "user_agent": "-"},
    ),
    Case(
        "alb-websocket-secure",
        "wss 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 10.0.0.140:44244 10.0.0.171:8010 "
        '0.000 0.001 0.000 101 101 218 786 "GET https://10.0.0.30:443/ HTTP/1.1" "-" ECDHE-RSA-AES128-GCM-SHA256 '
        f'TLSv1.2 {ARN} "Root=1-58337364-23a8c76965a2ef7629b185e3" "-" "-" 1 2018-07-02T22:22:48.364000Z "forward" '
        f'"-" "-" {NEWER}',
        {"type": "wss", "target_and_port": "10.0.0.171:8010"},
    ),
    Case(
        "alb-lambda",
        "http 2018-11-30T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 - "
        f'0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - {ARN} '
        '"Root=1-58337364-23a8c76965a2ef7629b185e3" "-" "-" 0 2018-11-30T22:22:48.364000Z "forward" "-" "-" '
        '"-" "-" "-" "-"',
        {"target_and_port": "-", "target_status_code": "200"},
    ),
    Case(
        "alb-lambda-failed",
        "http 2018-11-30T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 - "
        f'0.000 0.001 0.000 502 - 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - {ARN} '
        '"Root=1-58337364-23a8c76965a2ef7629b185e3" "-" "-" 0 2018-11-30T22:22:48.364000Z "forward" "-" '
        '"LambdaInvalidResponse" "-" "-" "-" "-"',
        {"elb_status_code": "502", "target_status_code": "-", "dash2": "LambdaInvalidResponse"},
    ),
    Case(
        "alb-grpc",
        "h2 2024-05-14T10:01:02.123456Z app/push-proxy/8c1f0a9e3b7d2e41 198.51.100.7:40312 10.0.2.14:50051 "
        '0.000 0.012 0.000 200 200 120 87 "POST https://grpc.example.com:443/helloworld.Greeter/SayHello HTTP/2.0" '
        f'"grpc-go/1.63.2" TLS_AES_128_GCM_SHA256 TLSv1.3 {ARN} "Root=1-66433666-0a1b2c3d4e5f60718293a4b5" '
        f'"grpc.example.com" "{CERT}" 10 2024-05-14T10:01:02.110000Z "forward" "-" "-" "10.0.2.14:50051" "200" '
        '"Acceptable" "-" TID_0a1b2c3d4e5f60718293a4b5c6d7e8f9 "-" "-" "-"',
        {
            "request": "POST https://grpc.example.com:443/helloworld.Greeter/SayHello HTTP/2.0",
            "user_agent": "grpc-go/1.63.2",
            "ssl_protocol": "TLSv1.3",
        },
    ),
    Case(
        "alb-client-gone-minus-one-timings",
        "https 2024-05-14T10:01:02.123456Z app/push-proxy/8c1f0a9e3b7d2e41 203.0.113.58:51022 - -1 -1 -1 460 - 764 0 "
        '"POST https://push.example.com:443/api/v1/send_push HTTP/1.1" "Go-http-client/1.1" '
        f'ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 {ARN} "Root=1-66433666-7a2b4c6d8e0f1a2b3c4d5e6f" "push.example.com" '
        f'"{CERT}" 0 2024-05-14T10:01:01.530000Z "forward" "-" "-" "-" "-" "-" "-" TID_1 "-" "-" "-"',
        {"request_processing_time": "-1", "elb_status_code": "460", "target_status_code": "-", "sent_bytes": "0"},
    ),
    Case(
        "alb-ipv6-client-quoted-agent",
        "https 2024-05-14T10:01:02.123456Z app/push-proxy/8c1f0a9e3b7d2e41 2001:db8:85a3::8a2e:370:7334:51022 "
        '10.0.2.14:8066 0.000 0.018 0.000 200 200 764 171 "GET https://push.example.com:443/ HTTP/1.1" '
        '"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36" '
        f'ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 {ARN} "Root=1-66433666-7a2b4c6d8e0f1a2b3c4d5e6f" "push.example.com" '
        f'"{CERT}" 0 2024-05-14T10:01:02.100000Z "forward" "-" "-" {NEWER}',
        {
            "client_and_port": "2001:db8:85a3::8a2e:370:7334:51022",
            "user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/124.0 Safari/537.36",
        },
    ),
    Case(
        "alb-request-trailing-space",
        "http 2024-05-14T10:01:02.123456Z app/push-proxy/8c1f0a9e3b7d2e41 198.51.100.7:40312 10.0.2.14:8066 "
        '0.000 0.002 0.000 200 200 80 171 "GET http://push.example.com:80/ HTTP/1.0 " "-" - - '
        f'{ARN} "Root=1-66433666-7a2b4c6d8e0f1a2b3c4d5e6f" "-" "-" 0 2024-05-14T10:01:02.100000Z "forward" "-" "-" '
        f"{NEWER}",
        {"request": "GET http://push.example.com:80/ HTTP/1.0 "},
    ),
    Case(
        "alb-unknown-trailing-fields",
        "http 2024-05-14T10:01:02.123456Z app/push-proxy/8c1f0a9e3b7d2e41 198.51.100.7:40312 10.0.2.14:8066 "
        f'0.000 0.002 0.000 200 200 80 171 "GET http://push.example.com:80/ HTTP/1.1" "curl/8.5.0" - - {ARN} '
        '"Root=1-66433666-7a2b4c6d8e0f1a2b3c4d5e6f" "-" "-" 0 2024-05-14T10:01:02.100000Z "forward" "-" "-" '
        f'{NEWER} "a field from the future" 42 "and another"',
        {"user_agent": "curl/8.5.0", "dash2": "-"},
    ),
    Case(
        "alb-unclosed-quote",
        "http 2024-05-14T10:01:02.123456Z app/push-proxy/8c1f0a9e3b7d2e41 198.51.100.7:40312 10.0.2.14:8066 "
        f'0.000 0.002 0.000 200 200 80 171 "GET http://push.example.com:80/ HTTP/1.1 "curl/8.5.0" - - {ARN} '
        '"Root=1-66433666-7a2b4c6d8e0f1a2b3c4d5e6f" "-" "-" 0 2024-05-14T10:01:02.100000Z "forward" "-" "-"',
        reject="MISSING FIELDS: expected 25 fields, every quote closed",
    ),
    Case(
        "alb-quote-open-at-line-end",  # a CSV reader would read on into the next line for the closing quote
        "http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 "
        f'0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - {ARN} '
        '"Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 2018-07-02T22:22:48.364000Z "forward" "-" "-',
        reject="MISSING FIELDS: expected 25 fields, every quote closed",
    ),
    Case(
        "alb-bad-timestamp",
        "http 2018-08-08T99:99:99.000000Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 "
        f'0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - {ARN} '
        '"Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 2018-07-02T22:22:48.364000Z "forward" "-" "-"',
        reject="BAD VALUE: requesttime is not a TIMESTAMP",
    ),
    Case(
        "alb-bad-number",
        "http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 "
        f'0.000 fast 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - {ARN} '
        '"Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 2018-07-02T22:22:48.364000Z "forward" "-" "-"',
        reject="BAD VALUE: target_processing_time is not a DOUBLE",
    ),
    Case(
        "alb-2015-format",  # before trace_id, domain_name, chosen_cert_arn, ... were added
        "https 2016-08-10T23:39:43.065466Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 "
        '0.086 0.048 0.037 200 200 0 57 "GET https://www.example.com:443/ HTTP/1.1" "curl/7.46.0" '
        f"ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 {ARN}",
        reject="MISSING FIELDS: expected 25 fields",
    ),
]

# -- CloudFront standard logs (tab-separated, '#Version' and '#Fields' header lines) --------------------------------
LEGACY_26 = (
    "date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) "
    "cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken "
    "x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version fle-status "
    "fle-encrypted-fields"
)
LEGACY_33 = LEGACY_26 + (
    " c-port time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end"
)
FORMAT_2015 = " ".join(LEGACY_26.split()[:19])
# Standard logging v2 lets a distribution choose its fields and their order; the header names them.
V2 = (
    "timestamp DistributionId date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status "
    "cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header "
    "cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type "
    "cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type "
    "sc-content-type sc-content-len sc-range-start sc-range-end c-country cache-behavior-path-pattern asn"
)
UA = "Mozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)%20AppleWebKit/537.36%20(KHTML,%20like%20Gecko)"
DOC_26 = [
    "2019-12-04", "21:02:31", "LAX1", "392", "192.0.2.100", "GET", "d111111abcdef8.cloudfront.net", "/index.html",
    "200", "-", UA, "-", "-", "Hit", "SOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==",
    "d111111abcdef8.cloudfront.net", "https", "23", "0.001", "-", "TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256", "Hit",
    "HTTP/2.0", "-", "-",
]  # fmt: skip
DOC_33 = DOC_26 + ["11040", "0.001", "Hit", "text/html", "78", "-", "-"]
SECURITY = [
    "2024-05-14", "10:01:02", "FRA2-C1", "498", "2001:db8:85a3::8a2e:370:7334", "GET", "d7zmvsa9e04kk.cloudfront.net",
    "/security", "200", "-", "Go-http-client/1.1",
    "auc=41&b=5.19.0.5.19.0&be=true&db=mysql&id=q8pz3ks1xbgm7c9ytd4wn5oehr&os=linux&tc=2&uc=88&ut=0", "-", "Miss",
    "p3kJ_8kz1LmoPrX2d4tZ0xVq9Hc7bN5aW6eY1uI0oQsDfGhJkL==", "securityupdatecheck.mattermost.com", "https", "231",
    "0.009", "-", "TLSv1.3", "TLS_AES_128_GCM_SHA256", "Miss", "HTTP/1.1", "-", "-",
]  # fmt: skip
V2_ROW = ["1715680862.000", "E1ABCDEF2GHIJK", *DOC_33, "DE", "/security*", "16509"]


def cf(fields: list[str]) -> str:
    return T.join(fields)


CLOUDFRONT_FILES: dict[str, tuple[str | None, list[Case]]] = {
    # file id: (its '#Fields' header, its cases)
    "legacy-26": (
        LEGACY_26,
        [
            Case(
                "cf-26-documented",
                cf(DOC_26),
                {
                    "logdate": "2019-12-04",
                    "useragent": UA,
                    "cs_protocol_version": "HTTP/2.0",
                    "file_encrypted_fields": "-",
                },
            ),
            Case("cf-ipv6-client", cf(SECURITY), {"cip": "2001:db8:85a3::8a2e:370:7334", "uri": "/security"}),
            Case(
                "cf-double-encoded-agent",
                cf([*DOC_26[:10], "Mozilla/5.0%2520(X11;%2520Linux%2520x86_64)", *DOC_26[11:]]),
                {"useragent": "Mozilla/5.0%2520(X11;%2520Linux%2520x86_64)"},
            ),
            Case("cf-trailing-tab", cf(DOC_26) + T, {"file_encrypted_fields": "-"}),
            Case("cf-short-line", cf(DOC_26[:20]), reject="MISSING FIELDS: expected 26 fields"),
            Case("cf-bad-date", cf(["2019-13-45", *DOC_26[1:]]), reject="BAD VALUE: logdate is not a DATE"),
            Case(
                "cf-bad-number", cf([*DOC_26[:3], "many", *DOC_26[4:]]), reject="BAD VALUE: bytessent is not a BIGINT"
            ),
        ],
    ),
    "legacy-33": (
        LEGACY_33,
        [
            Case("cf-33-documented", cf(DOC_33), {"x_edge_request_id": DOC_26[14], "file_encrypted_fields": "-"}),
            Case(
                "cf-33-websocket",
                cf(
                    [
                        "2024-05-14",
                        "10:01:02",
                        "IAD89-C1",
                        "1024",
                        "198.51.100.7",
                        "GET",
                        "d111111abcdef8.cloudfront.net",
                        "/ws",
                        "101",
                        "-",
                        "-",
                        "-",
                        "-",
                        "Miss",
                        "Zm9vYmFyYmF6cXV4cXV1eGZvb2JhcmJhenF1eHF1dXg=",
                        "ws.example.com",
                        "wss",
                        "512",
                        "35.012",
                        "-",
                        "TLSv1.3",
                        "TLS_AES_128_GCM_SHA256",
                        "Miss",
                        "HTTP/1.1",
                        "-",
                        "-",
                        "51022",
                        "0.010",
                        "Miss",
                        "-",
                        "-",
                        "-",
                        "-",
                    ]
                ),
                {"status": "101", "protocol": "wss", "time_taken": "35.012"},
            ),
        ],
    ),
    "v2": (
        V2,
        [
            Case(
                "cf-v2-reordered",
                cf(V2_ROW),
                {"logdate": "2019-12-04", "logtime": "21:02:31", "edge": "LAX1", "file_encrypted_fields": "-"},
            ),
        ],
    ),
    "no-header": (
        None,
        [
            Case("cf-no-header-positional", cf(DOC_26), {"logdate": "2019-12-04", "x_host_header": DOC_26[15]}),
        ],
    ),
    "format-2015": (
        FORMAT_2015,
        [
            Case(
                "cf-2015-format",
                cf(DOC_26[:19]),
                reject="HEADER: the file's #Fields header has 19 fields and lacks x-forwarded-for",
            ),
        ],
    ),
}
