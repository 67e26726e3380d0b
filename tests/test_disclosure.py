"""Every published file says its voices are synthetic: the feeds (podcast:txt), the tags (TXXX) and
content credentials (C2PA) that c2pa's own Reader verifies; QA fails an MP3 changed after signing."""

from __future__ import annotations

import datetime as dt
import logging
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import eyed3
import feedparser
import pytest

from audiopipe.cli import main
from audiopipe.publish.credentials import SOURCE_TYPE
from tests.builds import SHOW, build, built_once, episode, one_error_line
from tests.conftest import cache_root, id3, read_json, write

pytestmark = pytest.mark.e2e

c2pa = pytest.importorskip("c2pa")
PODCAST = "{https://podcastindex.org/namespace/1.0}"
SYNTHETIC = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
MP3S = ("two-stories.mp3", "two-stories-en.mp3", "two-stories-zh.mp3")


def _built(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """The two-story episode built with espeak under a show with a feed; its output folder."""
    def make(folder: Path) -> None:
        assert build(episode(folder, show=SHOW), folder / "out") == 0
        err = capsys.readouterr().err
        assert "note: content credentials: made a self-issued certificate for 'Morning Test'" in err
    built_once(tmp_path, "disclosure", make)
    return tmp_path / "out"


def _reader(mp3: Path) -> tuple[str, dict[str, Any], list[str]]:
    """c2pa's own reading: validation state, active manifest, failure codes."""
    with c2pa.Reader(mp3) as reader:
        failures = [f["code"] for f in (reader.get_validation_results() or {}).get("activeManifest", {})
                    .get("failure", [])]
        return reader.get_validation_state() or "", reader.get_active_manifest() or {}, failures


def test_every_mp3_carries_credentials_c2pa_verifies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = _built(tmp_path, capsys)
    report = read_json(out / "two-stories" / "report.json")
    for name in MP3S:
        state, manifest, failures = _reader(out / "two-stories" / name)
        assert state == "Valid" and failures == ["signingCredential.untrusted"]     # self-issued: on no trust list
        [actions] = [a for a in manifest["assertions"] if a["label"].startswith("c2pa.actions")]
        [created] = actions["data"]["actions"]
        assert created["action"] == "c2pa.created" and created["digitalSourceType"] == SYNTHETIC
        assert created["softwareAgent"]["name"] == "audiopipe"
        assert "espeak en-us (en)" in created["parameters"]["description"] or name.endswith("-zh.mp3")
        assert manifest["signature_info"]["common_name"] == "Morning Test content credentials"
    # the published copies are the signed files, byte for byte
    served = read_json(out / "two-stories" / "published" / "published.json")["files"]
    for name in MP3S:
        assert (out / "two-stories" / "published" / served[name]).read_bytes() == \
            (out / "two-stories" / name).read_bytes()
    assert [f["status"] for f in read_json(out / "two-stories" / "qa.json")["findings"]
            if f["check"] == "credentials"] == ["pass"]
    assert report["segments"][0]["engine"] == "espeak"


def test_the_tags_and_the_feeds_say_the_voices_are_synthetic(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    out = _built(tmp_path, capsys)
    mp3 = out / "two-stories" / "two-stories.mp3"
    said = "Every voice in this show is synthetic: the scripts are read by text-to-speech software."
    voices = f"{said} Voices: espeak en-us (en), espeak cmn (zh)."
    assert id3(mp3).getall("TXXX:ai-content")[0].text == [voices]                     # mutagen
    logging.getLogger("eyed3").setLevel(logging.ERROR)
    tag = eyed3.load(str(mp3)).tag
    assert tag is not None and tag.user_text_frames.get("ai-content").text == voices  # eyeD3
    from tests.test_readers import ffmetadata
    assert f"ai-content={voices}" in ffmetadata(mp3)                                  # ffmpeg
    for feed in ("feed.xml", "feed-en.xml", "feed-zh.xml"):
        raw = (out / feed).read_bytes()
        root = ET.fromstring(raw)
        channel = root.find(f"channel/{PODCAST}txt")
        item = root.find(f"channel/item/{PODCAST}txt")
        # podcast:txt carries a value a machine matches (the namespace defines none for this purpose: the
        # IPTC digital source type of the content credentials); the sentences are in the descriptions
        for txt in (channel, item):
            assert txt is not None and txt.get("purpose") == "ai-content" and txt.text == SOURCE_TYPE
        assert (root.findtext("channel/description") or "").endswith(f"\n\n{said}")
        assert (root.findtext("channel/item/description") or "").endswith(
            {"feed.xml": f"\n\n{voices}", "feed-en.xml": f"\n\n{said} Voices: espeak en-us (en).",
             "feed-zh.xml": f"\n\n{said} Voices: espeak cmn (zh)."}[feed])
        parsed = feedparser.parse(raw)
        assert not parsed.bozo and parsed.feed["podcast_txt"]["purpose"] == "ai-content"
        assert parsed.entries[0].summary.endswith({"feed.xml": voices, "feed-en.xml": "espeak en-us (en).",
                                                   "feed-zh.xml": "espeak cmn (zh)."}[feed])


def test_one_audio_byte_changed_fails_qa_and_the_feed_keeps_the_signed_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = _built(tmp_path, capsys)
    mp3 = out / "two-stories" / "two-stories.mp3"
    published = (out / "two-stories" / "published").glob("two-stories.*.mp3")
    signed = next(published).read_bytes()
    data = bytearray(mp3.read_bytes())
    data[-5000] ^= 0x01                                   # one bit of one audio frame, near the end
    mp3.write_bytes(bytes(data))
    assert _reader(mp3)[0] == "Invalid" and "assertion.dataHash.mismatch" in _reader(mp3)[2]
    assert main(["qa", "two-stories", "--out", str(out)]) == 1
    failed = [f for f in read_json(out / "two-stories" / "qa.json")["findings"] if f["status"] == "fail"]
    assert [f["check"] for f in failed] == ["credentials"]
    assert failed[0]["message"].startswith("two-stories.mp3 changed after it was signed")
    capsys.readouterr()
    assert main(["feed", "--out", str(out), "--show", str(tmp_path / "episodes" / "show.yaml")]) == 0
    assert next((out / "two-stories" / "published").glob("two-stories.*.mp3")).read_bytes() == signed


def test_a_rebuild_that_changes_nothing_gives_the_same_signed_bytes(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = _built(tmp_path, capsys)
    before = {name: (out / "two-stories" / name).read_bytes() for name in MP3S}
    assert build(tmp_path / "episodes" / "two-stories.yaml", out, "--remaster") == 0
    assert {name: (out / "two-stories" / name).read_bytes() for name in MP3S} == before
    assert len(list((cache_root() / "credentials").glob("*/certificate.pem"))) == 1


def _own_credentials(folder: Path, usable: bool = True) -> tuple[Path, Path]:
    """A show's own certificate (ECDSA P-256) issued by its own authority, as a producer would bring;
    not *usable*: without the key usages a C2PA signing certificate must have."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Ledger Media")])
    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name("Ledger Media CA")).issuer_name(name("Ledger Media CA"))
          .public_key(ca_key.public_key()).serial_number(7).not_valid_before(now - dt.timedelta(days=1))
          .not_valid_after(now + dt.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder().subject_name(name("Ledger Media signing")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(8).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    if usable:
        leaf = (leaf.add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False),
                                   critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False))
    signed = leaf.sign(ca_key, hashes.SHA256())
    pem = serialization.Encoding.PEM
    keys = folder / ("keys" if usable else "unusable")
    chain = write(keys / "chain.pem", (signed.public_bytes(pem) + ca.public_bytes(pem)).decode())
    private = write(keys / "key.pem", key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                                   serialization.NoEncryption()).decode())
    return chain, private


def test_the_shows_own_certificate_signs_and_bad_credentials_are_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _own_credentials(tmp_path / "episodes")
    show = SHOW + "credentials: {certificate: keys/chain.pem, key: keys/key.pem}\n"
    manifest, out = episode(tmp_path, show=show), tmp_path / "out"
    assert build(manifest, out, "--no-qa") == 0
    assert "self-issued" not in capsys.readouterr().err
    state, signed, _ = _reader(out / "two-stories" / "two-stories.mp3")
    assert state == "Valid" and signed["signature_info"]["common_name"] == "Ledger Media signing"
    assert signed["signature_info"]["alg"].lower() == "es256"
    # a missing file, and a key that is not one: one line each, nothing built
    write(tmp_path / "episodes" / "show.yaml", SHOW + "credentials: {certificate: keys/none.pem, key: keys/key.pem}\n")
    assert build(manifest, tmp_path / "o2") == 2
    line = one_error_line(capsys)
    assert "show.yaml:5: credentials.certificate: 'keys/none.pem' not found" in line
    write(tmp_path / "episodes" / "keys" / "key.pem", "not a key")
    write(tmp_path / "episodes" / "show.yaml", show)
    assert build(manifest, tmp_path / "o3", "--no-qa") == 2
    line = one_error_line(capsys)
    assert "show.yaml:5: credentials.key: keys/key.pem is not an unencrypted PEM private key" in line
    assert not (tmp_path / "o3").exists()
    # a certificate c2pa refuses (no digitalSignature usage): one line before anything is made
    _own_credentials(tmp_path / "episodes", usable=False)
    write(tmp_path / "episodes" / "show.yaml", SHOW + "credentials: {certificate: unusable/chain.pem, key: unusable/key.pem}\n")
    assert build(manifest, tmp_path / "o4", "--no-qa") == 2
    line = one_error_line(capsys)
    assert "show.yaml: credentials: cannot sign content credentials with" in line and "(nothing was made)" in line
    assert not list((tmp_path / "o4").rglob("*.mp3"))
