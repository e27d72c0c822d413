"""Build a corpus of REAL labelled name pairs for fitting and evaluating the name matcher.

Sources (written by others; nothing is generated here but the pairing):
  * NETransliteration-COLING2018 (Wikidata person names; arabic, russian, chinese, japanese,
    katakana only: ``wd_hebrew*`` and ``wd_korean*`` are held out for an independent evaluation
    and are refused);
  * the UN Security Council consolidated list (XML): names and aliases of one listed
    individual or entity are positives;
  * google/transliteration ar2en (Arabic-script word, English spelling). Every line of
    ``ar2en-eval.txt`` (and every entity sharing its English name) goes to test only.

Entities go to train/dev/test by a stable hash of their key (70/15/15), so no entity's names
are in two splits; negatives pair entities of the same split (kinds: random, same_family,
same_given, near_spelling) and are about as many as the positives. See docs/matching-corpus.md.

Usage: .venv/bin/python scripts/names_corpus.py --netrans DIR_OR_GITDIR [--out build/names-corpus]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
import re
import subprocess
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from rapidfuzz.distance import Levenshtein

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
LANGUAGES = ("arabic", "russian", "chinese", "japanese", "katakana")
RESERVED = ("hebrew", "korean")  # independent evaluation: never read
SPLITS = ("train", "dev", "test")
HEADER = ("left", "right", "is_match", "schema", "source", "group")
HARD_SHARE = {"near_spelling": 0.30, "same_family": 0.15, "same_given": 0.15}
NOISE = re.compile("[0-9.()\uff08\uff09\\[\\],\uff0c;:/]")  # digits, initials, brackets

Row = tuple[str, str, int, str, str, str]
Line = tuple[str, str, str]  # English name, foreign-script name, source file


@dataclass(frozen=True)
class Name:
    text: str
    source: str


@dataclass
class Entity:
    key: str
    schema: str
    pool: str  # negatives are drawn within one pool of one split
    names: list[Name] = field(default_factory=list)
    forced_test: bool = False
    known: set[str] = field(default_factory=set)  # other spellings of the name, all languages
    lines: list[tuple[Name, Name]] = field(default_factory=list)  # input lines (names pool)

    def add(self, text: str, source: str) -> None:
        if text and all(n.text != text for n in self.names):
            self.names.append(Name(text, source))

    @property
    def primary(self) -> Name:
        return self.names[0]

    @property
    def foreign(self) -> list[Name]:
        return [n for n in self.names if not is_latin(n.text)]

    def spellings(self) -> set[str]:
        return {normalise(n.text) for n in self.names} | self.known


def normalise(text: str) -> str:
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = re.sub("['`\u2018\u2019\u02bb\u02bc]", "", text.casefold())  # o'dell: odell
    return " ".join(re.sub(r"[\W_]+", " ", text).split())


def is_latin(text: str) -> bool:
    return all(ord(c) < 0x250 for c in normalise(text) if c.isalpha())


def stable(*parts: object) -> int:
    return int(hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()[:12], 16)


def split_of(entity: Entity, seed: int) -> str:
    if entity.forced_test:
        return "test"
    bucket = stable(seed, entity.key) % 100
    return "train" if bucket < 70 else "dev" if bucket < 85 else "test"


class Inputs:
    """Reads input files (plain or from a git directory) and records their SHA-256."""

    def __init__(self) -> None:
        self.sha256: dict[str, str] = {}

    def record(self, label: str, data: bytes) -> str:
        self.sha256[label] = hashlib.sha256(data).hexdigest()
        return data.decode("utf-8")

    def read(self, path: Path) -> str:
        return self.record(path.name, path.read_bytes())


class Netrans:
    """NETransliteration-COLING2018's data/ folder, in a checkout or a (bare) git directory."""

    def __init__(self, path: Path) -> None:
        self.plain: Path | None = None
        self.git: Path | None = None
        for base in (path, path / "repo"):
            if (base / "data").is_dir() or any(base.glob("wd_*")):
                self.plain = base / "data" if (base / "data").is_dir() else base
            elif (base / ".git").is_dir():
                self.git = base / ".git"
            elif (base / "HEAD").is_file() and (base / "objects").is_dir():
                self.git = base
            if self.plain or self.git:
                return
        raise SystemExit(f"--netrans {path}: neither a data folder nor a git directory")

    @staticmethod
    def guard(name: str) -> None:
        if any(lang in name.lower() for lang in RESERVED):
            raise SystemExit(f"refusing {name}: wd_hebrew*/wd_korean* are held out")

    def exists(self, name: str) -> bool:
        self.guard(name)
        if self.plain:
            return (self.plain / name).is_file()
        probe = ["git", "--git-dir", str(self.git), "cat-file", "-e", f"HEAD:data/{name}"]
        return subprocess.run(probe, capture_output=True, check=False).returncode == 0

    def commit(self) -> str:
        if self.plain:
            return "(a folder)"
        cmd = ["git", "--git-dir", str(self.git), "rev-parse", "HEAD"]
        return subprocess.run(cmd, capture_output=True, check=True, text=True).stdout.strip()

    def read(self, name: str, inputs: Inputs) -> str:
        self.guard(name)
        if self.plain:
            return inputs.read(self.plain / name)
        cmd = ["git", "--git-dir", str(self.git), "show", f"HEAD:data/{name}"]
        return inputs.record(name, subprocess.run(cmd, capture_output=True, check=True).stdout)


def load_netrans(repo: Netrans, lang: str, inputs: Inputs) -> list[Line]:
    """(English, foreign, file) rows. The raw ``wd_<lang>`` holds full names; where it is absent
    (files of 4 MiB and more are left out of snapshots) the word-level ``_80`` and ``_20`` are
    read: a partition of ``.normalized.aligned.tokens`` (``_64``/``_16`` split ``_80`` again)."""
    Netrans.guard(lang)
    if repo.exists(f"wd_{lang}"):
        text = repo.read(f"wd_{lang}", inputs)
        return [(*ln.split("\t")[:2], f"wd_{lang}") for ln in text.splitlines() if "\t" in ln]
    rows = []
    for part in (f"wd_{lang}_80", f"wd_{lang}_20"):
        for line in repo.read(part, inputs).splitlines():
            cols = line.split("\t")
            if len(cols) >= 2:  # word<TAB>space-separated characters<TAB>count
                rows.append((cols[0], cols[1].replace(" ", ""), f"wd_{lang}_80+20"))
    return rows


def load_ar2en(folder: Path, inputs: Inputs) -> tuple[list[Line], set[str]]:
    """The eval lines, then the train lines that are not eval lines (every eval line is also a
    line of ar2en-train.txt), and the normalised names (both scripts) of the eval file."""
    rows: list[Line] = []
    seen: set[str] = set()
    for name in ("ar2en-eval.txt", "ar2en-train.txt"):
        for line in inputs.read(folder / name).splitlines():
            if "\t" in line and line not in seen:
                seen.add(line)
                arabic, english = line.split("\t")[:2]
                rows.append((english.strip(), arabic.strip(), name))
    evals = [r for r in rows if r[2] == "ar2en-eval.txt"]
    return rows, {normalise(en) for en, _, _ in evals} | {normalise(ar) for _, ar, _ in evals}


def sample(rows: list[Line], limit: int, salt: str, seed: int) -> list[Line]:
    keys = sorted({normalise(en) for en, _, _ in rows}, key=lambda k: stable(seed, salt, k))
    keep = set(keys[:limit])
    return [r for r in rows if normalise(r[0]) in keep]


def variants(rows: list[Line]) -> dict[str, set[str]]:
    """Every foreign spelling of each English name in the whole of the files read (sampled or
    not): two English names with a spelling in common are variants of one name, no negative."""
    out: dict[str, set[str]] = defaultdict(set)
    for english, foreign, _ in rows:
        out[normalise(english)].add(normalise(foreign))
    return out


def name_entities(rows: list[Line], known: dict[str, set[str]]) -> dict[str, Entity]:
    """One entity per normalised English name (the key shared by every language)."""
    entities: dict[str, Entity] = {}
    for english, foreign, source in rows:
        key = normalise(english)
        if not key or not foreign or NOISE.search(foreign) or NOISE.search(english):
            continue  # empty, or a Wikipedia disambiguation / title ("第一代...男爵", "1 0 世")
        entity = entities.setdefault(key, Entity(f"name:{key}", "Person", "names"))
        entity.known = known.get(key, set())
        entity.add(english.strip(), source)
        entity.add(foreign.strip(), source)
        line = (Name(english.strip(), source), Name(foreign.strip(), source))
        if line not in entity.lines:
            entity.lines.append(line)
    return {k: e for k, e in entities.items() if len(e.names) > 1}


def _text(node: Element, tag: str) -> str:
    return " ".join((node.findtext(tag) or "").split())


def _alias(text: str) -> str:
    """Drops a lower-case remark in brackets ("El Para (combat name)"), keeps "(FDLR)"."""
    return " ".join(re.sub(r"\((?=[^)]*[a-z])[^A-Z)]*\)", " ", text).split())


def load_un(path: Path, inputs: Inputs) -> list[Entity]:
    root = ElementTree.fromstring(inputs.read(path).encode("utf-8"))
    entities = []
    for tag, schema in (("INDIVIDUAL", "Person"), ("ENTITY", "Organization")):
        for node in root.iter(tag):
            entity = Entity(f"un:{_text(node, 'DATAID')}", schema, f"un-{schema}")
            parts = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
            entity.add(" ".join(filter(None, (_text(node, p) for p in parts))), path.name)
            entity.add(_text(node, "NAME_ORIGINAL_SCRIPT"), path.name)
            for alias in node.iter(f"{tag}_ALIAS"):
                entity.add(_alias(_text(alias, "ALIAS_NAME")), path.name)
            if len(entity.names) > 1 and entity.names[0].text:
                entities.append(entity)
    return entities


def positives(entity: Entity, max_pairs: int) -> list[tuple[Name, Name]]:
    if entity.pool == "names":  # the input lines themselves: English, foreign spelling
        pairs = entity.lines
    else:  # the listed name with every other, then the original script with the aliases
        anchors = [entity.primary, *(n for n in entity.foreign if n != entity.primary)]
        pairs = [
            (a, b) for i, a in enumerate(anchors) for b in entity.names if b not in anchors[: i + 1]
        ]
    return [(a, b) for a, b in pairs if normalise(a.text) != normalise(b.text)][:max_pairs]


def _latin(entity: Entity) -> str:
    return normalise(entity.primary.text) if is_latin(entity.primary.text) else ""


def hard_candidates(entities: list[Entity], kind: str, rng: random.Random) -> list:
    """Pairs of different entities whose Latin names share a family name (last token), a given
    name (first token), or are near spellings (Levenshtein ratio >= 0.8, blocked on 3 letters)."""
    blocks: dict[str, list[Entity]] = defaultdict(list)
    for entity in entities:
        tokens = _latin(entity).split()
        if kind == "near_spelling" and tokens:
            blocks[_latin(entity)[:3]].append(entity)
        elif len(tokens) >= 2 and len(tokens[0 if kind == "same_given" else -1]) > 1:
            blocks[tokens[0 if kind == "same_given" else -1]].append(entity)
    pairs = []
    for _, block in sorted(blocks.items()):
        rng.shuffle(block)
        if kind != "near_spelling":
            pairs += list(zip(block[0::2], block[1::2], strict=False))
            continue
        block = block[:150]  # bounds the quadratic search
        for i, a in enumerate(block):
            for b in block[i + 1 :]:
                if Levenshtein.normalized_similarity(_latin(a), _latin(b)) >= 0.8:
                    pairs.append((a, b))
    rng.shuffle(pairs)
    return pairs


def negatives(
    entities: list[Entity], pos: list[tuple[Entity, Name, Name]], rng: random.Random
) -> list[Row]:
    rows: list[Row] = []
    target = len(pos)
    seen: set[tuple[str, str]] = set()

    def emit(a: Entity, a_name: Name, b: Entity, b_name: Name, kind: str) -> None:
        pair = (a_name.text, b_name.text)
        if a.spellings() & b.spellings() or pair in seen:
            return  # a shared spelling: the same name, not a negative
        seen.add(pair)
        source = "|".join(sorted({a_name.source, b_name.source}))
        rows.append((*pair, 0, a.schema, source, f"neg:{kind}"))

    for kind, share in HARD_SHARE.items():
        quota, start = int(target * share), len(rows)
        for a, b in hard_candidates(entities, kind, rng):
            if len(rows) - start >= quota:
                break
            for b_name in [b.primary, *b.foreign[:1]]:  # Latin-Latin, then cross-script
                emit(a, a.primary, b, b_name, kind)
    # random: a positive's right-hand name swapped for a name of another entity of the same
    # source and script, so that the negatives mix scripts as the positives do
    by_kind: dict[tuple[str, bool], list[tuple[Entity, Name]]] = defaultdict(list)
    for entity in entities:
        for name in entity.names:
            by_kind[name.source, is_latin(name.text)].append((entity, name))
    for _ in range(target * 20):
        if len(rows) >= target or not pos:
            break
        a, a_name, b_name = rng.choice(pos)
        b, other = rng.choice(by_kind[b_name.source, is_latin(b_name.text)])
        if b is not a:
            emit(a, a_name, b, other, "random")
    return rows


def build(entities: list[Entity], seed: int, max_pairs: int) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = {s: [] for s in SPLITS}
    pools: dict[tuple[str, str], list[Entity]] = defaultdict(list)
    for entity in entities:
        pools[split_of(entity, seed), entity.pool].append(entity)
    for (split, pool), members in sorted(pools.items()):
        pos = [(e, a, b) for e in members for a, b in positives(e, max_pairs)]
        neg = negatives(members, pos, random.Random(stable(seed, split, pool)))
        rows = [(a.text, b.text, 1, e.schema, b.source, e.key) for e, a, b in pos]
        seen: set[tuple[str, str]] = {(r[0], r[1]) for r in out[split]}
        for row in rows + neg:
            if (row[0], row[1]) not in seen:
                seen.add((row[0], row[1]))
                out[split].append(row)
    return out


def manifest(out: dict[str, list[Row]], inputs: Inputs, params: dict) -> dict:
    counts = {}
    for split, rows in out.items():
        table: dict = defaultdict(lambda: defaultdict(Counter))
        for _, _, label, schema, source, _ in rows:
            table[source][schema][str(label)] += 1
        counts[split] = {
            "rows": len(rows),
            "positives": sum(r[2] for r in rows),
            "negatives": sum(1 - r[2] for r in rows),
            "negatives_by_kind": dict(Counter(r[5] for r in rows if not r[2])),
            "by_source_schema_label": {
                s: {k: dict(v) for k, v in t.items()} for s, t in table.items()
            },
        }
    splits_of: dict[str, set[str]] = defaultdict(set)
    for split, rows in out.items():
        for row in rows:
            if row[2]:
                splits_of[normalise(row[0])].add(split)
                splits_of[normalise(row[1])].add(split)
    shared = sum(len(s) > 1 for s in splits_of.values())
    return {"parameters": params, "inputs_sha256": inputs.sha256, "counts": counts,
            "positive_names_in_more_than_one_split": shared}  # fmt: skip


def summary(out: dict[str, list[Row]]) -> str:
    lines = [f"{'split':6} {'source':28} {'schema':13} {'pos':>7} {'neg':>7}"]
    for split, rows in out.items():
        table = Counter(("(two sources)" if "|" in r[4] else r[4], r[3], r[2]) for r in rows)
        for source, schema in sorted({k[:2] for k in table}):
            pos, neg = table[source, schema, 1], table[source, schema, 0]
            lines.append(f"{split:6} {source:28} {schema:13} {pos:7} {neg:7}")
    for split, rows in out.items():
        kinds = sorted(Counter(r[5] for r in rows if not r[2]).items())
        lines.append(f"{split}: {len(rows)} rows; " + ", ".join(f"{k}={v}" for k, v in kinds))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--netrans", type=Path, required=True, help="checkout or git dir")
    parser.add_argument(
        "--un", type=Path, default=DATA / "un-sc-consolidated" / "consolidated_2018-10-29.xml"
    )
    parser.add_argument("--ar2en", type=Path, default=DATA / "names-ar2en")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "names-corpus")
    parser.add_argument("--languages", nargs="+", default=list(LANGUAGES))
    parser.add_argument("--per-language", type=int, default=3000, help="entities per language")
    parser.add_argument("--max-pairs-per-entity", type=int, default=15)
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args(argv)
    for lang in args.languages:
        Netrans.guard(lang)
        if lang not in LANGUAGES:
            parser.error(f"unknown language {lang}; choose from {', '.join(LANGUAGES)}")

    inputs, repo = Inputs(), Netrans(args.netrans)
    ar2en, eval_names = load_ar2en(args.ar2en, inputs)
    rows = [r for r in ar2en if r[2] == "ar2en-eval.txt"]  # all of it, in test only
    rest = [r for r in ar2en if r[2] != "ar2en-eval.txt"]
    rows += sample(rest, args.per_language, "ar2en", args.seed)
    every = list(ar2en)
    for lang in args.languages:
        every += (lang_rows := load_netrans(repo, lang, inputs))
        rows += sample(lang_rows, args.per_language, lang, args.seed)
    entities = list(name_entities(rows, variants(every)).values()) + load_un(args.un, inputs)
    for entity in entities:  # an entity with a name of ar2en-eval goes to test
        entity.forced_test = bool({normalise(n.text) for n in entity.names} & eval_names)

    out = build(entities, args.seed, args.max_pairs_per_entity)
    args.out.mkdir(parents=True, exist_ok=True)
    for split, split_rows in out.items():
        with (args.out / f"{split}.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADER)
            writer.writerows(split_rows)
    # the pairs of ar2en-eval alone (its positives and the negatives made from its names), for
    # `accord bench matching --pairs build/names-corpus/ar2en-eval.csv`
    with (args.out / "ar2en-eval.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(r for r in out["test"] if r[HEADER.index("source")] == "ar2en-eval.txt")
    params = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    params.pop("out")
    params["netrans_commit"] = repo.commit()
    report = manifest(out, inputs, params)
    (args.out / "manifest.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(summary(out))
    shared = report["positive_names_in_more_than_one_split"]
    print(f"normalised names of positives found in more than one split: {shared}")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
