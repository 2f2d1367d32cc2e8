"""
Re-creation of the earlier Vigint system's edge client (`api_client.py`), as deployed sites run it.

Written from docs/compatibility.md: the same function names, the same request
fields, the same header (`X-API-Key`), JSON bodies with base64 media, no timeout and no retry, and any
4xx/5xx raised as an exception (a 207 is not). Standard library only (urllib, json, base64), so the
compatibility test needs nothing but `python3`.

Kept deliberately naive, as the earlier client was: it is the caller Vigint must not break.
"""

import base64
import json
import os
import urllib.error
import urllib.request


class APIError(Exception):
    """A 4xx/5xx answer. `str(err)` is the server's `error` string, as the earlier callers printed it."""

    def __init__(self, status, error, body=None):
        super().__init__(error)
        self.status = status
        self.error = error
        self.body = body or {}


def _config_value(section, key):
    """`[section] key` from config.ini in the working directory (the earlier config.py), else None."""
    try:
        import configparser

        parser = configparser.ConfigParser()
        if parser.read("config.ini") and parser.has_option(section, key):
            return parser.get(section, key)
    except Exception:
        pass
    return None


class APIClient:
    """HTTP wrapper of every api_proxy function the earlier edge code used."""

    def __init__(self, base_url=None, api_key=None):
        self.base_url = (
            base_url
            or os.environ.get("VIGINT_API_SERVER_URL")
            or _config_value("API", "api_server_url")
            or "http://localhost:5002"
        ).rstrip("/")
        self.api_key = (
            api_key
            or os.environ.get("VIGINT_API_KEY")
            or os.environ.get("SECRET_KEY")
            or _config_value("API", "secret_key")
        )

    # -- transport ---------------------------------------------------------------------------------

    def _headers(self, json_body=True):
        headers = {"X-API-Key": self.api_key or ""}
        if json_body:
            headers["Content-Type"] = "application/json"
        return headers

    def _raw(self, method, path, payload=None):
        """One request, no timeout, no retry. Returns (status, bytes, content_type); raises APIError on 4xx/5xx."""
        data = None if payload is None else json.dumps(payload).encode("utf-8")
        req = urllib.request.Request(
            self.base_url + path, data=data, method=method, headers=self._headers(payload is not None)
        )
        try:
            with urllib.request.urlopen(req) as resp:
                return resp.status, resp.read(), resp.headers.get("Content-Type", "")
        except urllib.error.HTTPError as err:
            raw = err.read()
            try:
                body = json.loads(raw.decode("utf-8"))
            except Exception:
                body = {}
            message = body.get("error") if isinstance(body, dict) else None
            if not isinstance(message, str):
                message = "HTTP %d" % err.code
            raise APIError(err.code, message, body if isinstance(body, dict) else {})

    def _request(self, method, path, payload=None):
        status, raw, _ = self._raw(method, path, payload)
        result = json.loads(raw.decode("utf-8")) if raw else {}
        if isinstance(result, dict):
            # Not part of the earlier reply; kept aside so a caller can tell a 207 from a 200.
            result.setdefault("_http_status", status)
        return result

    # -- the earlier functions ---------------------------------------------------------------------

    def health_check(self):
        return self._request("GET", "/api/health")

    def compress_video_for_email(self, video_path, max_size_mb=20, quality_reduction=0.85):
        with open(video_path, "rb") as f:
            video_b64 = base64.b64encode(f.read()).decode("ascii")
        return self._request(
            "POST",
            "/api/video/compress",
            {
                "video_data": video_b64,
                "filename": os.path.basename(video_path),
                "max_size_mb": max_size_mb,
                "quality_reduction": quality_reduction,
            },
        )

    def create_video_from_frames(self, frames, output_filename="output.mp4", fps=None, video_format=None):
        """`frames`: JPEG bytes or base64 strings. fps/video_format None → server defaults (25, mp4)."""
        encoded = [f if isinstance(f, str) else base64.b64encode(f).decode("ascii") for f in frames]
        return self._request(
            "POST",
            "/api/video/create",
            {"frames": encoded, "output_filename": output_filename, "fps": fps, "video_format": video_format},
        )

    def download_video(self, download_url, output_path):
        """GET the raw video behind a `download_url` (`/api/video/download/<id>`) into output_path."""
        _, raw, _ = self._raw("GET", download_url)
        with open(output_path, "wb") as f:
            f.write(raw)
        return output_path

    def analyze_frame(self, frame_data=None, frame_count=0, buffer_type="short"):
        """`frame_data` None → analyze what this client last uploaded or buffered (`frame: null`)."""
        frame = None
        if frame_data is not None:
            frame = frame_data if isinstance(frame_data, str) else base64.b64encode(frame_data).decode("ascii")
        return self._request(
            "POST",
            "/api/video/analyze",
            {"frame": frame, "frame_count": frame_count, "buffer_type": buffer_type},
        )

    def add_frame_to_buffer(self, frame_data, frame_count, timestamp=None):
        frame = frame_data if isinstance(frame_data, str) else base64.b64encode(frame_data).decode("ascii")
        payload = {"frame_data": frame, "frame_count": frame_count}
        if timestamp is not None:
            payload["timestamp"] = timestamp
        return self._request("POST", "/api/video/buffer", payload)

    def upload_video(self, video_path):
        """The video analyzer's upload of a ~10 s clip before `analyze_frame(None)`."""
        with open(video_path, "rb") as f:
            video_b64 = base64.b64encode(f.read()).decode("ascii")
        return self._request(
            "POST",
            "/api/video/upload",
            {"video_data": video_b64, "video_filename": os.path.basename(video_path)},
        )

    def send_security_alert(
        self,
        analysis,
        risk_level="HIGH",
        video_path=None,
        client_id=None,
        use_server_buffer=False,
        incident_type=None,
        frame_count=None,
        detailed_analysis=None,
    ):
        payload = {
            "analysis": analysis,
            "risk_level": risk_level,
            "client_id": client_id,
            "use_server_buffer": use_server_buffer,
        }
        if video_path:
            with open(video_path, "rb") as f:
                payload["video_data"] = base64.b64encode(f.read()).decode("ascii")
            payload["video_filename"] = os.path.basename(video_path)
        if incident_type is not None:
            payload["incident_type"] = incident_type
        if frame_count is not None:
            payload["frame_count"] = frame_count
        if detailed_analysis is not None:
            payload["detailed_analysis"] = detailed_analysis
        return self._request("POST", "/api/video/alert", payload)

    def get_storage_status(self):
        return self._request("GET", "/api/storage/status")

    def cleanup_storage(self, max_age_hours=24, cleanup_type="old"):
        return self._request("POST", "/api/storage/cleanup", {"max_age_hours": max_age_hours, "type": cleanup_type})

    def get_usage_stats(self):
        return self._request("GET", "/api/usage")


_default_client = None


def _client():
    global _default_client
    if _default_client is None:
        _default_client = APIClient()
    return _default_client


# Module-level functions: the "compatible interface with direct imports" the earlier callers used.
def health_check():
    return _client().health_check()


def compress_video_for_email(video_path, max_size_mb=20, quality_reduction=0.85):
    return _client().compress_video_for_email(video_path, max_size_mb, quality_reduction)


def create_video_from_frames(frames, output_filename="output.mp4", fps=None, video_format=None):
    return _client().create_video_from_frames(frames, output_filename, fps, video_format)


def analyze_frame(frame_data=None, frame_count=0, buffer_type="short"):
    return _client().analyze_frame(frame_data, frame_count, buffer_type)


def add_frame_to_buffer(frame_data, frame_count, timestamp=None):
    return _client().add_frame_to_buffer(frame_data, frame_count, timestamp)


def send_security_alert(analysis, risk_level="HIGH", video_path=None, client_id=None, **kwargs):
    return _client().send_security_alert(analysis, risk_level, video_path, client_id, **kwargs)


def get_storage_status():
    return _client().get_storage_status()


def cleanup_storage(max_age_hours=24, cleanup_type="old"):
    return _client().cleanup_storage(max_age_hours, cleanup_type)


def get_usage_stats():
    return _client().get_usage_stats()
