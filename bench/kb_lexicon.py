"""Lexicon coverage: is every word the lexicon maps *to* a word of the policy corpus?

A lexicon line (knowledge/qa/data/lexicon.txt) maps a resident's word to what the documents
say; a right-side term that is no passage token of the corpus never matches anything.
This check needs the corpus beside the repository (../shared/corpus), so it lives here
rather than in the tests (moved from tests/knowledge/test_index.py).

    python -m bench.kb_lexicon [--corpus DIR]

Prints the number of lexicon targets and those missing from the corpus; exits 1 if any is
missing, 2 if the corpus is not there.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from knowledge.normalize import canonical  # noqa: E402
from knowledge.qa.tokenize import init_tokenizer, lexicon, tokenize  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"


def missing_targets(corpus: Path) -> tuple[int, list[str]]:
    """(number of lexicon targets, the targets no corpus passage contains as a token)."""
    init_tokenizer()
    tokens: set[str] = set()
    for path in sorted(corpus.glob("*.txt")):
        tokens.update(tokenize(canonical(path.read_text(encoding="utf-8"))))
    targets = {t for values in lexicon().values() for t in values}
    return len(targets), sorted(t for t in targets if t not in tokens)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"corpus not found at {args.corpus}", file=sys.stderr)
        return 2
    total, missing = missing_targets(args.corpus)
    print(f"lexicon targets: {total}; missing from the corpus: {len(missing)}")
    for term in missing:
        print(f"  {term}")
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
