"""Text normalizers measured on the golden readings corpus (tests/data/readings/*.tsv).

Run it with the Python of an environment that has the candidates installed (they are not
audiopipe's dependencies; see "Figures" in docs/pronunciation.md for the environment):

    python bench/normalizers.py

For each candidate it prints the share of corpus phrases read exactly as the corpus says (case,
punctuation, hyphens and spaces aside, so that only the words count), the share left with no
ASCII digit and no $ ¥ € £ %, and its start-up time.  audiopipe's own rules are measured alongside.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

Reader = Callable[[str], str]


def corpus() -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {"en": [], "zh": []}
    for path in sorted((ROOT / "tests" / "data" / "readings").glob("*.tsv")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                written, spoken = line.split("\t")
                out[path.name.split("-", 1)[0]].append((written, spoken))
    return out


def loose(text: str) -> str:
    return re.sub(r"[\s\-,.;:!?()（）。，、；：！？'’\"]+", "", text).lower()


def ours(lang: str) -> Reader:
    from audiopipe.figures import read
    return lambda text: read(text, lang)


def wetext(lang: str) -> Reader:
    if lang == "zh":
        from tn.chinese.normalizer import Normalizer
    else:
        from tn.english.normalizer import Normalizer
    return Normalizer().normalize  # type: ignore[no-any-return]


def nemo(lang: str) -> Reader:
    from nemo_text_processing.text_normalization.normalize import Normalizer
    normalizer = Normalizer(input_case="cased", lang=lang)
    return lambda text: str(normalizer.normalize(text))


def cn2an_reader(lang: str) -> Reader:
    if lang != "zh":
        raise ImportError("cn2an reads Chinese only")
    import cn2an
    return lambda text: str(cn2an.transform(text, "an2cn"))


def num2words_reader(lang: str) -> Reader:
    if lang != "en":
        raise ImportError("used here for English")
    from num2words import num2words

    def read(text: str) -> str:
        return re.sub(r"\d+(?:\.\d+)?", lambda m: str(num2words(m.group(0))), text.replace(",", ""))
    return read


CANDIDATES = {"audiopipe": ours, "WeTextProcessing": wetext, "NeMo text processing": nemo,
              "cn2an (an2cn)": cn2an_reader, "num2words (numbers only)": num2words_reader}


def main() -> None:
    phrases = corpus()
    print("| normalizer | language | exact | no digit or sign left | start-up s | ms / phrase |")
    print("|---|---|---|---|---|---|")
    for name, make in CANDIDATES.items():
        for lang in ("en", "zh"):
            started = time.perf_counter()
            try:
                reader = make(lang)
            except Exception as exc:  # noqa: BLE001 - not installed here, or not for this language
                print(f"<!-- {name} {lang}: {type(exc).__name__}: {str(exc)[:60]} -->", file=sys.stderr)
                continue
            startup = time.perf_counter() - started
            exact = clean = 0
            started = time.perf_counter()
            for written, spoken in phrases[lang]:
                try:
                    got = reader(written)
                except Exception:  # noqa: BLE001 - a crash on a phrase counts as a miss
                    continue
                exact += loose(got) == loose(spoken)
                clean += not re.search(r"[0-9$¥€£%]", got)
            per = (time.perf_counter() - started) / len(phrases[lang]) * 1000
            n = len(phrases[lang])
            print(f"| {name} | {lang} | {exact}/{n} ({exact / n:.0%}) | {clean / n:.0%} | {startup:.2f} | {per:.2f} |",
                  flush=True)


if __name__ == "__main__":
    main()
