"""
Drives the earlier edge client (api_client.py) against a gateway the way deployed sites do, and prints
ONE JSON line: the fields the earlier callers read from each reply, plus `missing` (reply fields
docs/compatibility.md says they read that the server did not send).

Environment: VIGINT_API_SERVER_URL, VIGINT_API_KEY (as the earlier client reads them), and the inputs
the test prepared: LEGACY_FRAMES_DIR (JPEG frames), LEGACY_CLIP (a ~10 s MP4), LEGACY_OUT_DIR (where
the downloaded video goes). Standard library only.
"""

import base64
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import api_client  # noqa: E402  (the module-level functions, as the earlier callers imported them)
from api_client import APIError  # noqa: E402

# Reply fields the earlier callers read, per function (docs/compatibility.md's table).
EXPECTED = {
    "health_check": ["status", "timestamp", "services"],
    "add_frame_to_buffer": ["status", "frame_count", "buffer_size", "timestamp"],
    "analyze_frame": [
        "has_security_incident",
        "incident_detected",
        "incident_type",
        "analysis",
        "risk_level",
        "description",
        "client_email",
    ],
    "compress_video_for_email": ["success", "video_data", "original_size", "compressed_size", "compression_ratio"],
    "create_video_from_frames": ["success", "video_data", "download_url", "frames_processed", "duration"],
    "upload": ["status", "video_size_mb", "frame_count", "duration", "ready_for_analysis"],
    "send_security_alert": [
        "success",
        "status",
        "alert_id",
        "to",
        "client_name",
        "risk_level",
        "incident_summary",
        "video_link",
        "email_delivery",
    ],
    "get_storage_status": ["disk_info", "temp_files", "status"],
    "cleanup_storage": ["cleanup_result", "disk_info_after", "cleanup_type"],
    "get_usage_stats": ["api_key_id", "client_name", "usage_count", "usage"],
}
NESTED = {
    "get_storage_status": {
        "disk_info": ["available", "free_gb", "total_gb", "used_gb", "path"],
        "temp_files": ["tracked", "existing", "total_size_mb"],
    },
    "cleanup_storage": {"cleanup_result": ["cleaned", "failed", "total"]},
    "send_security_alert": {
        "video_link": ["available", "video_url", "video_id", "expiration_time"],
        "email_delivery": ["success", "attempts"],
    },
}

missing = []


def check(name, reply):
    for field in EXPECTED.get(name, []):
        if field not in reply:
            missing.append("%s.%s" % (name, field))
    for parent, fields in NESTED.get(name, {}).items():
        sub = reply.get(parent)
        for field in fields:
            if not isinstance(sub, dict) or field not in sub:
                missing.append("%s.%s.%s" % (name, parent, field))
    return reply


def pick(reply, *fields):
    return {f: reply.get(f) for f in fields}


def main():
    frames_dir = os.environ["LEGACY_FRAMES_DIR"]
    clip = os.environ["LEGACY_CLIP"]
    out_dir = os.environ["LEGACY_OUT_DIR"]
    frame_files = sorted(os.path.join(frames_dir, f) for f in os.listdir(frames_dir) if f.endswith(".jpg"))
    frames = []
    for path in frame_files:
        with open(path, "rb") as f:
            frames.append(f.read())

    out = {}

    h = check("health_check", api_client.health_check())
    out["health"] = pick(h, "status", "timestamp")

    buffered = None
    for i, frame in enumerate(frames[:3]):
        buffered = check("add_frame_to_buffer", api_client.add_frame_to_buffer(frame, i + 1, 1700000000.0 + i))
    out["buffer"] = pick(buffered, "status", "frame_count", "buffer_size")

    a = check("analyze_frame", api_client.analyze_frame(frames[0], 1, "short"))
    out["analyze_frame"] = pick(
        a, "has_security_incident", "incident_detected", "incident_type", "risk_level", "client_email"
    )
    out["analyze_frame"]["analysis_is_text"] = isinstance(a.get("analysis"), str) and len(a["analysis"]) > 0
    out["analyze_frame"]["token_usage"] = a.get("token_usage")

    # A budget well under the clip's size, so the server has to re-encode it.
    c = check("compress_video_for_email", api_client.compress_video_for_email(clip, max_size_mb=0.1))
    out["compress"] = pick(c, "success", "original_size", "compressed_size", "compression_ratio")
    data = c.get("video_data")
    out["compress"]["video_data_bytes"] = None
    if isinstance(data, str):
        compressed_path = os.path.join(out_dir, "compressed.mp4")
        with open(compressed_path, "wb") as f:
            f.write(base64.b64decode(data))
        out["compress"]["video_data_bytes"] = os.path.getsize(compressed_path)
        out["compress"]["compressed_path"] = compressed_path
    out["compress"]["clip_bytes"] = os.path.getsize(clip)

    v = check("create_video_from_frames", api_client.create_video_from_frames(frames, "legacy.mp4"))
    out["create"] = pick(v, "success", "download_url", "frames_processed", "duration", "duration_seconds", "resolution")
    out["create"]["has_video_data"] = isinstance(v.get("video_data"), str) and len(v["video_data"]) > 0
    if v.get("download_url"):
        path = api_client._client().download_video(v["download_url"], os.path.join(out_dir, "downloaded.mp4"))
        out["create"]["downloaded_path"] = path
        out["create"]["downloaded_bytes"] = os.path.getsize(path)

    # The video analyzer's flow: upload a ~10 s clip → analyze with frame null → alert from the server's buffer.
    u = check("upload", api_client._client().upload_video(clip))
    out["upload"] = pick(u, "status", "video_size_mb", "frame_count", "duration", "ready_for_analysis")
    an = check("analyze_frame", api_client.analyze_frame(None, 250, "long"))
    out["flow_analyze"] = pick(an, "has_security_incident", "incident_detected", "incident_type", "risk_level")
    if an.get("has_security_incident"):
        al = check(
            "send_security_alert",
            api_client.send_security_alert(
                an.get("analysis"),
                an.get("risk_level"),
                None,
                "Front door",
                use_server_buffer=True,
                incident_type=an.get("incident_type"),
                frame_count=250,
            ),
        )
        out["alert"] = pick(al, "success", "status", "to", "client_name", "risk_level", "_http_status")
        out["alert"]["email_success"] = (al.get("email_delivery") or {}).get("success")
        out["alert"]["video_link_available"] = (al.get("video_link") or {}).get("available")
    else:
        out["alert"] = None

    s = check("get_storage_status", api_client.get_storage_status())
    out["storage"] = {"status": s.get("status"), "disk_available": (s.get("disk_info") or {}).get("available")}
    out["storage"]["tracked"] = (s.get("temp_files") or {}).get("tracked")

    cl = check("cleanup_storage", api_client.cleanup_storage(24, "old"))
    out["cleanup"] = {"cleanup_type": cl.get("cleanup_type"), "cleanup_result": cl.get("cleanup_result")}

    us = check("get_usage_stats", api_client.get_usage_stats())
    usage = us.get("usage") if isinstance(us.get("usage"), list) else []
    out["usage"] = pick(us, "client_name", "usage_count")
    out["usage"]["has_key_id"] = us.get("api_key_id") is not None
    out["usage"]["rows"] = len(usage)
    out["usage"]["first_row_fields"] = sorted(usage[0].keys()) if usage else []

    # Bad inputs: the earlier client raises, and its callers print `error` as a string.
    bad = {}
    for name, call in [
        ("negative_fps", lambda: api_client.create_video_from_frames(frames[:2], "x.mp4", fps=-1)),
        ("bad_format", lambda: api_client.create_video_from_frames(frames[:2], "x.mp4", video_format="avi")),
        ("not_a_video", lambda: api_client._client()._request("POST", "/api/video/compress", {
            "video_data": "aGVsbG8gd29ybGQ=", "filename": "x.mp4"})),
    ]:
        try:
            call()
            bad[name] = {"raised": False}
        except APIError as err:
            print("error: %s" % err, file=sys.stderr)
            bad[name] = {"raised": True, "status": err.status, "error": str(err), "code": err.body.get("code")}
    out["bad_input"] = bad

    # A wrong key raises too (the earlier client has no retry).
    try:
        api_client.APIClient(api_key="not-a-key-0000000000000000000000000000000").get_usage_stats()
        out["bad_key"] = {"raised": False}
    except APIError as err:
        out["bad_key"] = {"raised": True, "status": err.status, "error": str(err)}

    # The seed's set-up: no VIGINT_API_KEY, the site's SECRET_KEY equals the server's (a built-in default client).
    if os.environ.get("LEGACY_SERVER_SECRET"):
        saved = os.environ.pop("VIGINT_API_KEY")
        os.environ["SECRET_KEY"] = os.environ["LEGACY_SERVER_SECRET"]
        try:
            st = api_client.APIClient().get_storage_status()
            out["secret_key_client"] = {"status": st.get("status"), "raised": False}
        except APIError as err:
            out["secret_key_client"] = {"raised": True, "status": err.status, "error": str(err)}
        finally:
            os.environ["VIGINT_API_KEY"] = saved
            del os.environ["SECRET_KEY"]

    out["health_after"] = api_client.health_check().get("status")
    out["missing"] = missing
    print(json.dumps(out))


if __name__ == "__main__":
    main()
