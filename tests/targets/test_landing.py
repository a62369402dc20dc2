"""The landing zone's header read (targets.landing.read_header) against moto's S3 server over HTTP: a file's
'#Fields:' line comes from its first bytes only, inflated as they come, whatever the file's size."""

from __future__ import annotations

import gzip
import os
import zlib

import pytest

from targets import landing
from targets.formats import CLOUDFRONT, StagedFile
from tests.tasks.extract.corpus import DOC_26, V2, cf


def put(s3: str, name: str, body: bytes) -> StagedFile:
    bucket, key = landing.split_s3(landing.join(s3, name))
    landing.s3_client().put_object(Bucket=bucket, Key=key, Body=body)
    return StagedFile(name, f"s3://{bucket}/{key}", len(body))


def fetched(client) -> list[int]:
    """The body size of each GetObject the client answers from now on (a botocore event hook)."""
    sizes: list[int] = []
    client.meta.events.register(
        "after-call.s3.GetObject", lambda http_response, **_: sizes.append(int(http_response.headers["Content-Length"]))
    )
    return sizes


def test_the_header_of_a_big_file_comes_from_its_first_bytes(s3):
    # Lines that do not compress much: the file is many times the bytes one read asks for.
    lines = [cf([*DOC_26[:14], os.urandom(48).hex(), *DOC_26[15:]]) for _ in range(20_000)]
    body = gzip.compress(f"#Version: 1.0\n#Fields: {V2}\n{chr(10).join(lines)}\n".encode())
    file = put(s3, "d/big.gz", body)
    assert file.size > 10 * landing.HEAD_READ_BYTES
    sizes = fetched(landing.s3_client())
    assert landing.read_header(file, CLOUDFRONT) == f"#Fields: {V2}"
    assert sizes == [landing.HEAD_READ_BYTES]


def test_a_header_after_long_comment_lines_is_read_across_chunks(s3):
    """Comment lines before '#Fields' that fill more than one read: the reads go on, in order."""
    comment = "#" + os.urandom(3 * landing.HEAD_READ_BYTES // 2).hex()
    file = put(s3, "d/long.gz", gzip.compress(f"{comment}\n#Fields: {V2}\n{cf(DOC_26)}\n".encode()))
    sizes = fetched(landing.s3_client())
    assert landing.read_header(file, CLOUDFRONT) == f"#Fields: {V2}"
    assert len(sizes) > 1 and sum(sizes) <= file.size


@pytest.mark.parametrize(
    "text", ["", f"{cf(DOC_26)}\n", f"#Version: 1.0\n{cf(DOC_26)}\n#Fields: {V2}\n"],
    ids=["empty", "no comment lines", "no header before the data"],
)  # fmt: skip
def test_a_file_without_a_header_has_none(s3, text):
    assert landing.read_header(put(s3, "d/none.gz", gzip.compress(text.encode())), CLOUDFRONT) is None


def test_a_corrupt_stream_raises(s3):
    body = bytearray(gzip.compress(f"#Version: 1.0\n#Fields: {V2}\n".encode() + os.urandom(4096)))
    body[12:40] = b"\xff" * 28  # the deflate data, just after the gzip header
    with pytest.raises(zlib.error):
        landing.read_header(put(s3, "d/corrupt.gz", bytes(body)), CLOUDFRONT)


def test_a_local_file_is_read_the_same(tmp_path):
    path = tmp_path / "a.gz"
    path.write_bytes(gzip.compress(f"#Version: 1.0\n#Fields: {V2}\n{cf(DOC_26)}\n".encode()))
    assert landing.read_header(StagedFile("a.gz", str(path), path.stat().st_size), CLOUDFRONT) == f"#Fields: {V2}"
