"""The multipart/form-data parser of the resume upload."""
import pytest
import requests

from sense_emulator.multipart import MultipartError, parse


def encode(fields, files):
    prepared = requests.Request("POST", "http://x/", data=fields, files=files).prepare()
    return prepared.body, prepared.headers["Content-Type"]


def test_parses_what_requests_sends():
    body, content_type = encode({"resume_id": "R-1", "file_name": "é.pdf"}, {"file": ("cv.pdf", b"\r\n--x\r\nbinary", "application/pdf")})
    parts = parse(body, content_type)
    assert parts["resume_id"].text() == "R-1"
    assert parts["file_name"].text() == "é.pdf"
    assert parts["file"].data == b"\r\n--x\r\nbinary"
    assert parts["file"].filename == "cv.pdf" and parts["file"].content_type == "application/pdf"


def test_quoted_parameters():
    body = (b'--b\r\nContent-Disposition: form-data; name="f"; filename="a;b \\"c\\".txt"\r\n\r\nhi\r\n--b--\r\n')
    parts = parse(body, 'multipart/form-data; boundary="b"')
    assert parts["f"].filename == 'a;b "c".txt' and parts["f"].data == b"hi"


@pytest.mark.parametrize("body, content_type", [
    (b"whatever", "multipart/form-data"),
    (b"no boundary here", "multipart/form-data; boundary=zz"),
    (b"--zz\r\nContent-Disposition: form-data\r\n\r\nx\r\n--zz--", "multipart/form-data; boundary=zz"),
    (b"--zz\r\nno separator", "multipart/form-data; boundary=zz"),
])
def test_malformed(body, content_type):
    with pytest.raises(MultipartError):
        parse(body, content_type)
