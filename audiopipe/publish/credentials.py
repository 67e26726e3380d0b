"""Content credentials (C2PA) in every MP3: a signed statement that the audio was made by trained
algorithms, by which engines and voices, embedded by c2pa in the MP3's ID3 tag (a GEOB frame).

The manifest holds one `c2pa.actions` assertion: `c2pa.created` with the IPTC digital source type
`trainedAlgorithmicMedia`, audiopipe as the software agent and the engines and voices as its
parameters.  It is signed with the show's certificate chain and key (show.yaml `credentials:`), or,
when the show names none, with a certificate audiopipe issues for the show on first use (kept in the
cache's credentials/ folder; readers report it as valid but untrusted: nobody vouches for it).

A signature is salted (c2pa puts random bytes in every assertion's hash), so signing the same audio
twice gives two files.  The signed bytes are therefore kept, keyed by the unsigned file's SHA-256, the
manifest and the certificate: a rebuild with nothing changed gives the same MP3, byte for byte.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audiopipe import __version__, logs
from audiopipe.errors import AudiopipeError
from audiopipe.tools.fsutil import atomic_path, held, publish_file, sha256_of, write_bytes, write_text

SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
FOLDER = "credentials"
"""In the cache: the self-issued certificates (one folder per show) and the signed MP3s."""
SELF_ISSUED_DAYS = 3650


@dataclass(frozen=True)
class Credentials:
    """A certificate chain and its key (PEM), the algorithm c2pa signs with, and whether it is self-issued."""

    chain: bytes
    key: bytes
    alg: str
    self_issued: bool
    where: Path

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.chain).hexdigest()[:16]


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40] or "show"


def _alg(key_pem: bytes, where: Path) -> str:
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    try:
        key = load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as exc:
        raise AudiopipeError(f"{where}: not an unencrypted PEM private key ({exc}); give the key c2pa signs with "
                             "(Ed25519, ECDSA P-256/384 or RSA-PSS)") from None
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return {256: "es256", 384: "es384", 521: "es512"}.get(key.curve.key_size, "es256")
    if isinstance(key, rsa.RSAPrivateKey):
        return "ps256"
    raise AudiopipeError(f"{where}: a {type(key).__name__} cannot sign content credentials; use Ed25519, ECDSA "
                         "or RSA")


def load(show_title: str, files: tuple[Path, Path] | None, cache_root: Path) -> Credentials:
    """The show's credentials (*files*: its certificate chain and key), else its self-issued ones, made
    on first use (and the log told where)."""
    if files is not None:
        chain, key = (path.read_bytes() for path in files)
        return Credentials(chain, key, _alg(key, files[1]), False, files[0])
    folder = cache_root / FOLDER / _slug(show_title)
    chain_file, key_file = folder / "certificate.pem", folder / "key.pem"
    with held(folder / ".lock"):                 # builds at once: one of them issues, the others read it
        made = not (chain_file.is_file() and key_file.is_file())
        if made:
            chain, key = _self_issue(show_title)
            write_bytes(key_file, key)
            key_file.chmod(0o600)
            write_bytes(chain_file, chain)
        if made:
            logs.say(f"note: content credentials: made a self-issued certificate for {show_title!r} in {folder} "
                "(readers show its signature as valid but unverified); to sign as your organisation, name your "
                "certificate and key in show.yaml (credentials: {certificate: …, key: …})")
    key = key_file.read_bytes()
    return Credentials(chain_file.read_bytes(), key, _alg(key, key_file), True, chain_file)


def ready(show_title: str, files: tuple[Path, Path] | None, show_file: Path | None, cache_root: Path) -> None:
    """Before anything is made: the show's credentials exist (self-issued ones are made now) and c2pa can
    sign with them (a trial signing, once per certificate), so a build never stops half-way on them."""
    signing = load(show_title, files, cache_root)
    checked = cache_root / FOLDER / "checked" / signing.fingerprint
    if signing.self_issued or checked.is_file():      # made here to c2pa's rules, or tried before
        return
    from audiopipe.tools import ffmpeg
    trial = cache_root / FOLDER / "checked" / "trial.mp3"
    with atomic_path(trial) as part:
        ffmpeg.run(["-y", "-f", "lavfi", "-i", "anullsrc=r=44100:cl=mono", "-t", "0.2", "-c:a", "libmp3lame",
                    "-f", "mp3", str(part)], what="a silent MP3 to try the credentials on")
    try:
        sign(trial, manifest("trial", ["none"]), signing, cache_root)
    except AudiopipeError as exc:
        raise AudiopipeError(f"{show_file or 'show.yaml'}: credentials: {exc.message}; a C2PA signing certificate "
                             "needs the digitalSignature key usage, the emailProtection or documentSigning extended "
                             "key usage, and its issuer after it in the chain (nothing was made)") from None
    write_bytes(checked, b"")


def _self_issue(title: str) -> tuple[bytes, bytes]:
    """A certificate authority for the show and a signing certificate it issues (Ed25519): the chain and
    the signing key, PEM.  c2pa refuses a self-signed signing certificate, hence the two."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def name(what: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{title[:40]} {what}"),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, f"{title[:40]} (self-issued by audiopipe)")])

    def usage(**allowed: bool) -> x509.KeyUsage:
        flags = dict.fromkeys(("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
                               "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only"), False)
        return x509.KeyUsage(**{**flags, **allowed})

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    ca_key, key = ed25519.Ed25519PrivateKey.generate(), ed25519.Ed25519PrivateKey.generate()
    ca = (x509.CertificateBuilder().subject_name(name("CA")).issuer_name(name("CA")).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now)
          .not_valid_after(now + dt.timedelta(days=SELF_ISSUED_DAYS))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(usage(key_cert_sign=True, crl_sign=True), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, None))
    leaf = (x509.CertificateBuilder().subject_name(name("content credentials")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=SELF_ISSUED_DAYS))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(usage(digital_signature=True), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(ca_key, None))
    pem = serialization.Encoding.PEM
    return (leaf.public_bytes(pem) + ca.public_bytes(pem),
            key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


def manifest(title: str, voices: Sequence[str]) -> dict[str, Any]:
    """The manifest of one MP3: made by trained algorithms (these engines and voices), by audiopipe."""
    agent = {"name": "audiopipe", "version": __version__}
    return {
        "claim_generator_info": [agent],
        "title": title,
        "format": "audio/mpeg",
        "assertions": [{"label": "c2pa.actions", "data": {"actions": [{
            "action": "c2pa.created", "digitalSourceType": SOURCE_TYPE, "softwareAgent": agent,
            "parameters": {"description": f"Synthetic speech (text-to-speech): {', '.join(voices)}"}}]}}],
    }


def sign(mp3: Path, claim: Mapping[str, Any], credentials: Credentials, cache_root: Path) -> None:
    """Embed signed content credentials in *mp3* (in place), or the same signed bytes as before when the
    MP3, the manifest and the certificate are what they were."""
    import c2pa
    text = json.dumps(claim, sort_keys=True, ensure_ascii=False)
    key = hashlib.sha256(f"{sha256_of(mp3)}|{text}|{credentials.fingerprint}".encode()).hexdigest()
    kept = cache_root / FOLDER / "signed" / key[:2] / f"{key}.mp3"
    sidecar = kept.with_suffix(".json")            # the signed file's length and SHA-256, checked on every read
    try:
        whole = json.loads(sidecar.read_text(encoding="utf-8"))
        ok = kept.stat().st_size == int(whole["size"]) and sha256_of(kept) == whole["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        ok = False
    if not ok:                                     # never signed, or the kept bytes damaged: signed again
        with atomic_path(kept) as part, open(mp3, "rb") as source, open(part, "w+b") as dest:
            try:
                with c2pa.Signer.from_info(c2pa.C2paSignerInfo(credentials.alg.encode(), credentials.chain,
                                                               credentials.key, None)) as signer, \
                        c2pa.Builder(dict(claim)) as builder:
                    builder.sign(signer, "audio/mpeg", source, dest)
            except c2pa.C2paError as exc:
                raise AudiopipeError(f"cannot sign content credentials with {credentials.where} ({exc})") from None
            dest.flush()
            size, digest = part.stat().st_size, sha256_of(part)
        write_text(sidecar, json.dumps({"size": size, "sha256": digest}))
    publish_file(kept, mp3)


@dataclass(frozen=True)
class Verdict:
    """What c2pa's Reader says of an MP3's credentials."""

    state: str                      # "Trusted", "Valid", "Invalid", or "none" (no manifest)
    failures: tuple[str, ...]       # c2pa's failure codes
    source_type: str = ""           # the digitalSourceType of its c2pa.created action
    signer: str = ""                # the certificate's common name

    @property
    def audio_changed(self) -> bool:
        return any(code.startswith("assertion.dataHash") for code in self.failures)


def verify(mp3: Path) -> Verdict:
    """c2pa's own reading of *mp3*: its validation state, failures, source type and signer."""
    import c2pa
    try:
        reader = c2pa.Reader.try_create(mp3)
    except c2pa.C2paError as exc:
        return Verdict("Invalid", (f"unreadable: {exc}",))
    if reader is None:
        return Verdict("none", ())
    with reader:
        results = reader.get_validation_results() or {}
        active = reader.get_active_manifest() or {}
        state = reader.get_validation_state() or "Invalid"
    failures = tuple(f.get("code", "") for f in results.get("activeManifest", {}).get("failure", []))
    created = [a for assertion in active.get("assertions", []) if assertion.get("label", "").startswith("c2pa.actions")
               for a in assertion.get("data", {}).get("actions", []) if a.get("action") == "c2pa.created"]
    return Verdict(state, failures, created[0].get("digitalSourceType", "") if created else "",
                   str(active.get("signature_info", {}).get("common_name", "")))
