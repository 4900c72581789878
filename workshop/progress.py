"""The board's memory: each lesson's last full check of the learner's code.

Kept as `.workshop/results/NN_slug.json`, one file a lesson, so that the board can show a
lesson's status without running its tests again. A record is trusted only while it still
describes the files on disk and was written by this kit:

- its shape is checked field by field (a hand-edited or truncated file is ignored);
- its fingerprint, a hash of every file of the lesson folder (the learner's code and the tests),
  must match the folder as it is now (an edit since the check makes it stale);
- it is signed with a key kept beside it (`.workshop/key`, made on first use), so that a file
  written by hand or copied from another checkout does not count.

Anything else is ignored, and the board checks the lesson again.
"""

import hashlib
import hmac
import json
import secrets
from datetime import UTC, datetime

from workshop import course

RESULTS_DIR = course.ROOT / ".workshop" / "results"
KEY_FILE = course.ROOT / ".workshop" / "key"
OUTCOMES = {"passed", "failed", "error", "skipped"}
FINGERPRINTED = {".py", ".html", ".txt", ".json", ".toml"}


def fingerprint(lesson):
    """A hash of the lesson folder's files (code, templates, tests), whatever their encoding."""
    digest = hashlib.sha256()
    for path in sorted(lesson.folder.rglob("*")):
        if path.is_file() and path.suffix in FINGERPRINTED and "__pycache__" not in path.parts:
            digest.update(path.relative_to(lesson.folder).as_posix().encode())
            digest.update(b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


def save(lesson, tests, collect_errors, broken):
    """Record a full check of the learner's code of this lesson."""
    record = {
        "fingerprint": fingerprint(lesson),
        "checked_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "tests": tests,
        "collect_errors": collect_errors,
        "broken": broken,
    }
    record["signature"] = signature(record)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{lesson.slug}.json"
    path.write_text(json.dumps(record, indent=1, ensure_ascii=False), encoding="utf-8")


def load(lesson):
    """The lesson's last record if it is sound, signed and still current; otherwise None."""
    try:
        record = json.loads((RESULTS_DIR / f"{lesson.slug}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not well_formed(record):
        return None
    if not hmac.compare_digest(record["signature"], signature(record)):
        return None
    if record["fingerprint"] != fingerprint(lesson):
        return None
    return record


def well_formed(record):
    """True if the record has every field, each of the type the board reads."""
    if not isinstance(record, dict):
        return False
    if not all(isinstance(record.get(name), str) for name in ("fingerprint", "signature")):
        return False
    if not isinstance(record.get("broken"), str | None):
        return False
    tests, errors = record.get("tests"), record.get("collect_errors")
    if not (isinstance(tests, list) and isinstance(errors, list)):
        return False
    return all(well_formed_test(test) for test in tests) and all(
        isinstance(error, dict) and isinstance(error.get("message"), str) for error in errors
    )


def well_formed_test(test):
    return (
        isinstance(test, dict)
        and isinstance(test.get("name"), str)
        and test.get("outcome") in OUTCOMES
        and isinstance(test.get("kind"), str)
        and all(isinstance(test.get(name), str | None) for name in ("message", "where"))
    )


def signature(record):
    """An HMAC of everything in the record but the signature itself."""
    content = {name: value for name, value in record.items() if name != "signature"}
    payload = json.dumps(content, sort_keys=True, ensure_ascii=False).encode()
    return hmac.new(key(), payload, hashlib.sha256).hexdigest()


def key():
    """This checkout's signing key, made on first use."""
    KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
    try:
        with KEY_FILE.open("x", encoding="ascii") as new:  # Two runs at once make one key.
            new.write(secrets.token_hex(32))
    except FileExistsError:
        pass
    try:
        secret = bytes.fromhex(KEY_FILE.read_text(encoding="ascii").strip())
        if len(secret) == 32:
            return secret
        raise ValueError("too short")
    except ValueError:  # Damaged: a new key, and every record so far no longer counts.
        KEY_FILE.write_text(secrets.token_hex(32), encoding="ascii")
        return bytes.fromhex(KEY_FILE.read_text(encoding="ascii"))
