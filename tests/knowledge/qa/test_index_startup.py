"""An empty index does not load jieba: its dictionary loads in the background at start."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

# In a new process: jieba's tokenizer is process-wide and other tests have loaded it.
SCRIPT = """
from knowledge.qa import tokenize
from knowledge.qa.index import SearchIndex
index = SearchIndex([])
print(tokenize._tokenizer is None, index.search(["电梯"], "电梯", k=3) == [])
index.as_meant("电体坏了")  # a question before the index is ready: typos built then
print(tokenize._tokenizer is None)
"""


def test_empty_index_leaves_jieba_unloaded_until_asked() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert done.stdout.split() == ["True", "True", "False"]
