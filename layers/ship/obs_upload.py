"""PUT a file into the state bucket, signed with the function's own OBS header signature (imported, not copied).

Used for dependency zips over 10 MB: FunctionGraph then creates the dependency version from the object's URL.
"""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import quote

import requests

from . import paths

DEFAULT_OBS = "https://{bucket}.obs.{region}.myhuaweicloud.com"


def object_url(endpoint: str, bucket: str, key: str, region: str) -> str:
    """Virtual-host style when the endpoint has {bucket} (the default), path style otherwise (the emulator)."""
    base = endpoint.replace("{region}", region)
    encoded = quote(key, safe="/~")
    if "{bucket}" in base:
        return f"{base.replace('{bucket}', bucket).rstrip('/')}/{encoded}"
    return f"{base.rstrip('/')}/{bucket}/{encoded}"


class ObsUploadError(Exception):
    pass


def put_object(endpoint: str, region: str, bucket: str, key: str, data: bytes, ak: str, sk: str,
               token: str | None = None, timeout: float = 300) -> str:
    """Upload; returns the object's URL. Content-MD5 makes OBS reject a corrupted upload. The bucket becomes
    part of the host name: one that breaks the OBS naming rules is refused before any request."""
    paths.import_function_package()
    from taskwatch.errors import ConfigError
    from taskwatch.sanitize import one_line
    from taskwatch.state.obs_signature import authorization, http_date
    from taskwatch.urls import check_bucket_name

    try:
        check_bucket_name("bucket", bucket)
    except ConfigError as exc:
        raise ObsUploadError(f"OBS PUT: {exc}") from None

    headers = {"Date": http_date(), "Content-Type": "application/zip",
               "Content-MD5": base64.b64encode(hashlib.md5(data).digest()).decode("ascii")}
    if token:
        headers["x-obs-security-token"] = token
    headers["Authorization"] = authorization(ak, sk, "PUT", bucket, key, headers)
    url = object_url(endpoint, bucket, key, region)
    try:
        # Never followed: a 307/308 would repeat the PUT, body and x-obs-security-token, at any host.
        response = requests.put(url, data=data, headers=headers, timeout=(10, timeout), allow_redirects=False)
    except requests.RequestException as exc:
        raise ObsUploadError(f"OBS PUT {bucket}/{key}: {type(exc).__name__}") from None
    if 300 <= response.status_code < 400:
        raise ObsUploadError(f"OBS PUT {bucket}/{key}: HTTP {response.status_code} redirect refused "
                             "(check TASKWATCH_ENDPOINT_OBS and the bucket's region)")
    if response.status_code != 200:
        text = response.text
        code = one_line(text.split("<Code>", 1)[-1].split("</Code>", 1)[0][:1024], 64) if "<Code>" in text else ""
        raise ObsUploadError(f"OBS PUT {bucket}/{key}: HTTP {response.status_code} {code}".rstrip())
    return url


def delete_object(endpoint: str, region: str, bucket: str, key: str, ak: str, sk: str, token: str | None = None,
                  timeout: float = 60) -> None:
    """Delete one object deploy uploaded (204; 404 counts as done: it is gone either way)."""
    paths.import_function_package()
    from taskwatch.state.obs_signature import authorization, http_date

    headers = {"Date": http_date()}
    if token:
        headers["x-obs-security-token"] = token
    headers["Authorization"] = authorization(ak, sk, "DELETE", bucket, key, headers)
    try:
        response = requests.delete(object_url(endpoint, bucket, key, region), headers=headers,
                                   timeout=(10, timeout), allow_redirects=False)
    except requests.RequestException as exc:
        raise ObsUploadError(f"OBS DELETE {bucket}/{key}: {type(exc).__name__}") from None
    if response.status_code not in (200, 204, 404):
        raise ObsUploadError(f"OBS DELETE {bucket}/{key}: HTTP {response.status_code}")
