"""Ranked retrieval over the knowledge base: overlapping two-character pieces scored by TF-IDF cosine
(sublinear tf) on a sparse matrix, held in memory per worker process and rebuilt when the entries'
generation token changes.

The scorers are written here (a few lines over scipy) rather than taken from scikit-learn, rank-bm25
or bm25s: the part we need — precomputed per-(entry, term) weights, a column slice and one sparse
product per query — is small enough to read in one sitting. BM25 (the former ranking) stays for the
bench's comparison.

Every choice below was measured on one half of the tipdm2020c messages with their official replies
(bench/knowledge.py, docs/knowledge.md "Measured"); the other half is reported as held out.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import uuid
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from django.conf import settings
from django.db import connections
from django.utils import timezone
from scipy import sparse

if TYPE_CHECKING:
    from yousu.org.models import Area

# The ranking: TF-IDF cosine with sublinear tf (1 + ln tf) on both sides, each entry's vector divided
# by its length to the power NORM_POWER instead of 1 (a long reply damped a little more). On the
# tuning half of tipdm2020c recall@5 0.813 against BM25's 0.798 (NORM_POWER 1.0: 0.811, 1.2: 0.810;
# raw tf instead of 1 + ln tf: 0.770). Fused with BM25 or with a latent-semantic (SVD) cosine it
# gained at most +0.0014 on the tuning half (two queries); see docs/knowledge.md "Measured".
NORM_POWER = 1.1
# The former ranking, Okapi BM25 with a stronger length normalisation than the usual
# 1 − b + b · len / avglen: each entry's damping is k1 · (len / avglen) ** LENGTH_POWER. At LENGTH_POWER = 1 this is BM25 with b = 1;
# above 1 a long reply is damped a little more and a short one a little less, so a long reply no
# longer wins on sheer vocabulary over the short reply that names the matter (+0.005 recall@5 on the
# tuning half at 1.2; b > 1 in the linear form did as well but turns negative for replies shorter
# than a sixth of the average, a tenth of the real replies). k1 = 1.5 (1.2 to 2.0 within 0.003).
K1 = 1.5
LENGTH_POWER = 1.2
# A question or keyword says what the entry is about more surely than a word deep in the answer:
# their terms are counted this many times (a light BM25F).
QUESTION_WEIGHT = 2
KEYWORD_WEIGHT = 2
# The opening of a query usually names the matter (a citizen's message starts with its title, an
# operator types the matter first): the terms of its first OPENING characters count twice.
# +0.009 recall@5 on the tuning half (doubling the known title instead: +0.010).
OPENING = 20
# Far in the future: an entry without a valid-until date never expires.
_NEVER = dt.date.max.toordinal()


logger = logging.getLogger(__name__)

_RUN = re.compile(r"[0-9a-z\u4e00-\u9fff]+")


def tokens(text: str) -> list[str]:
    """The search terms of a text, the same for entries and queries: the overlapping two-character
    pieces of each run of Chinese characters, letters and digits. The pieces match where the
    citizen's wording and the answer's are cut into different words (停车位 / 停车), and keep place
    codes such as “a2区”. Jieba words were dropped: jieba words + pieces gave recall@5 0.773 on the
    tuning half, the pieces alone 0.782 (the words only repeat what the pieces already match)."""
    runs = _RUN.findall((text or "").lower())
    return [run[i : i + 2] for run in runs for i in range(len(run) - 1)]


def query_terms(text: str) -> list[str]:
    """The terms a query is looked up with: its tokens, those of its opening counted twice."""
    text = text or ""
    return tokens(text[:OPENING]) + tokens(text)


def entry_terms(*, question: str, answer: str, keywords: str) -> list[str]:
    """The terms an entry is indexed under, with question and keywords weighted above the answer."""
    return tokens(question) * QUESTION_WEIGHT + tokens(keywords) * KEYWORD_WEIGHT + tokens(answer)


def _term_matrix(
    documents: Sequence[Sequence[str]],
) -> tuple[sparse.csr_matrix, dict[str, int], np.ndarray]:
    """The documents × terms count matrix, the vocabulary and each document's length in words."""
    vocabulary: dict[str, int] = {}
    indptr, indices, counts = [0], [], []
    for words in documents:
        for word, count in Counter(words).items():
            indices.append(vocabulary.setdefault(word, len(vocabulary)))
            counts.append(count)
        indptr.append(len(indices))
    tf = sparse.csr_matrix(
        (np.asarray(counts, dtype=np.float32), np.asarray(indices, dtype=np.int32), indptr),
        shape=(len(documents), max(len(vocabulary), 1)),
    )
    lengths = np.asarray([len(words) for words in documents], dtype=np.float32)
    return tf, vocabulary, lengths


class _Ranked(ABC):
    """What both scorers share: `scores(query)` for every document, and the best `k` of them."""

    size: int

    @abstractmethod
    def scores(self, query: Iterable[str]) -> np.ndarray:
        """The score of every document for the query's words."""

    def top(
        self, query: Iterable[str], k: int, *, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """The `k` best (position, score) pairs with a positive score, best first; `allowed` is a
        boolean mask of the documents that may be returned."""
        scores = self.scores(query)
        if allowed is not None:
            scores = np.where(allowed, scores, 0)
        candidates = np.flatnonzero(scores > 0)
        if len(candidates) > k:
            candidates = candidates[np.argpartition(-scores[candidates], k - 1)[:k]]
        # Ties go to the earlier document, so results are stable from one run to the next.
        order = sorted(candidates.tolist(), key=lambda i: (-scores[i], i))
        return [(i, float(scores[i])) for i in order]


class TfidfIndex(_Ranked):
    """TF-IDF cosine over a fixed list of documents (each a list of words): what search() ranks by.

    Entry weights (1 + ln tf) · idf(w), idf(w) = ln((1 + N) / (1 + df)) + 1, divided by the entry
    vector's length raised to NORM_POWER; the query is weighted the same way (1 + ln of its counts,
    so the doubled opening counts 1 + ln 2) and divided by its own length, so a score lies in 0..1.
    Kept by column like BM25Index: a query is one column slice and one sparse product.
    """

    def __init__(self, documents: Sequence[Sequence[str]], *, norm_power: float = NORM_POWER):
        tf, vocabulary, _ = _term_matrix(documents)
        n_docs = len(documents)
        df = np.bincount(tf.indices, minlength=tf.shape[1]).astype(np.float32)
        self.idf = (np.log((1 + n_docs) / (1 + df)) + 1).astype(np.float32)
        data = (1 + np.log(tf.data)) * self.idf[tf.indices]
        squares = sparse.csr_matrix((data**2, tf.indices, tf.indptr), shape=tf.shape)
        lengths = np.sqrt(np.asarray(squares.sum(axis=1)).ravel())
        norm = np.repeat(np.maximum(lengths, 1e-9) ** norm_power, np.diff(tf.indptr))
        self.weights = sparse.csr_matrix((data / norm, tf.indices, tf.indptr), shape=tf.shape).tocsc()
        self.vocabulary = vocabulary
        self.size = n_docs

    def scores(self, query: Iterable[str]) -> np.ndarray:
        counts = Counter(word for word in query if word in self.vocabulary)
        if not counts:
            return np.zeros(self.size, dtype=np.float32)
        columns = [self.vocabulary[word] for word in counts]
        weights = (1 + np.log(np.fromiter(counts.values(), dtype=np.float32, count=len(counts)))) * self.idf[
            columns
        ]
        return self.weights[:, columns] @ (weights / np.linalg.norm(weights))


class BM25Index(_Ranked):
    """Okapi BM25 over a fixed list of documents (each a list of words): the former ranking, kept
    for the bench's comparison.

    At build time every (document, term) pair gets its final weight
        idf(w) · tf · (k1 + 1) / (tf + k1 · (len / avglen) ** length_power)
    with idf(w) = ln(1 + (N − df + 0.5) / (df + 0.5)) (never negative); the matrix is kept by
    column, so a query costs one column slice and one sparse-times-dense product.
    """

    def __init__(
        self, documents: Sequence[Sequence[str]], *, k1: float = K1, length_power: float = LENGTH_POWER
    ):
        tf, vocabulary, lengths = _term_matrix(documents)
        n_docs = len(documents)
        average = float(lengths.mean()) if n_docs and lengths.mean() > 0 else 1.0
        df = np.bincount(tf.indices, minlength=tf.shape[1]).astype(np.float32)
        idf = np.log1p((n_docs - df + 0.5) / (df + 0.5))
        # One damping factor per document, repeated over its non-zero entries.
        norm = np.repeat(k1 * (lengths / average) ** length_power, np.diff(tf.indptr))
        data = tf.data * (k1 + 1) / (tf.data + norm) * idf[tf.indices]
        self.weights = sparse.csr_matrix((data, tf.indices, tf.indptr), shape=tf.shape).tocsc()
        self.vocabulary = vocabulary
        self.size = n_docs

    def scores(self, query: Iterable[str]) -> np.ndarray:
        """The BM25 score of every document for the query words (a repeated query word counts more)."""
        counts = Counter(word for word in query if word in self.vocabulary)
        if not counts:
            return np.zeros(self.size, dtype=np.float32)
        columns = [self.vocabulary[word] for word in counts]
        return self.weights[:, columns] @ np.fromiter(counts.values(), dtype=np.float32, count=len(counts))


@dataclass(frozen=True)
class Hit:
    entry_id: int
    score: float


class EntryIndex:
    """The entries in use with their dates, so visibility on the day of the query is a mask, not a
    rebuild: an entry that expires or falls overdue overnight drops out without any write."""

    def __init__(
        self, generation: str, rows: Sequence[tuple[int, str, dt.date, dt.date | None, dt.date, str]]
    ):
        """`rows`: (id, search terms, valid_from, valid_until, review_due, owning unit's area path)."""
        self.generation = generation
        # The city (jurisdiction) of each entry, as an index into `self.cities`.
        self.cities: dict[str, int] = {}
        self.city = np.asarray(
            [self.cities.setdefault(row[5].strip("/").split("/")[0], len(self.cities)) for row in rows],
            dtype=np.int32,
        )
        self.ids = np.asarray([row[0] for row in rows], dtype=np.int64)
        self.ranker = TfidfIndex([row[1].split() for row in rows])
        self.valid_from = np.asarray([row[2].toordinal() for row in rows], dtype=np.int64)
        self.valid_until = np.asarray(
            [row[3].toordinal() if row[3] else _NEVER for row in rows], dtype=np.int64
        )
        self.review_due = np.asarray([row[4].toordinal() for row in rows], dtype=np.int64)

    def visible(self, day: dt.date) -> np.ndarray:
        d = day.toordinal()
        return (self.valid_from <= d) & (self.valid_until >= d) & (self.review_due >= d)

    def search(self, query: str, *, k: int, day: dt.date, city_code: str | None = None) -> list[Hit]:
        allowed = self.visible(day)
        if city_code is not None:
            allowed &= self.city == self.cities.get(city_code, -1)
        return [
            Hit(int(self.ids[i]), score)
            for i, score in self.ranker.top(query_terms(query), k, allowed=allowed)
        ]


_lock = threading.Lock()
_index: EntryIndex | None = None
# The generation a background thread is building, if any (one at a time per process).
_building: str | None = None
_building_lock = threading.Lock()


def current_generation() -> str:
    from .models import SearchGeneration

    return SearchGeneration.objects.filter(pk=1).values_list("generation", flat=True).first() or ""


def bump_generation() -> None:
    """Called by every write to the entries, inside its transaction; readers see the new token only
    once the write commits, and the update keeps the row locked until then."""
    from .models import SearchGeneration

    token = uuid.uuid4().hex
    if not SearchGeneration.objects.filter(pk=1).update(generation=token):
        SearchGeneration.objects.update_or_create(pk=1, defaults={"generation": token})


def _build(generation: str) -> EntryIndex:
    from .models import EntryStatus, KnowledgeEntry

    rows = KnowledgeEntry.objects.filter(status=EntryStatus.ACTIVE, flagged_at__isnull=True).values_list(
        "id", "search_terms", "valid_from", "valid_until", "review_due", "owning_unit__area__path"
    )
    return EntryIndex(generation, list(rows.order_by("id")))


def entry_index() -> EntryIndex:
    """This process's index, rebuilt when another write (here or in another worker) moved the
    generation. The generation is read before the entries: a write landing in between makes the
    next search rebuild again, never leaves stale entries labelled as new.

    With YOUSU_KNOWLEDGE_BACKGROUND_REBUILD (production's default) a worker that already has an index
    keeps answering from it while a thread builds the new one (about 25 s at 100,000 entries), so an
    operator typing never waits for somebody's edit. Meanwhile a hit may be an entry withdrawn or
    flagged a moment ago: every reader checks hits against the database (entries_for_operators),
    and answering with an entry checks it again, so a stale hit is dropped, never given. Only the
    first index of a process is built while the search waits."""
    global _index
    generation = current_generation()
    index = _index
    if index is not None and index.generation == generation:
        return index
    if index is not None and settings.YOUSU_KNOWLEDGE_BACKGROUND_REBUILD:
        _rebuild_in_background(generation)
        return index
    with _lock:
        if _index is None or _index.generation != generation:
            _index = _build(generation)
        return _index


def _rebuild_in_background(generation: str) -> None:
    global _building
    with _building_lock:
        if _building is not None:
            return  # one build at a time; the first search after it ends starts the next if needed
        _building = generation
    threading.Thread(target=_rebuild, args=(generation,), name="knowledge-index", daemon=True).start()


def _rebuild(generation: str) -> None:
    global _index, _building
    try:
        built = _build(generation)
        with _lock:
            _index = built
    except Exception:
        # The old index keeps serving; the next search tries again.
        logger.exception("knowledge index rebuild failed")
    finally:
        # The thread's own database connection: closed, or each rebuild would leave one open.
        connections.close_all()
        with _building_lock:
            _building = None


def wait_for_rebuild(timeout: float = 60.0) -> bool:
    """Block until no background build runs (for tests and benchmarks); False on timeout."""
    import time

    deadline = time.monotonic() + timeout
    while _building is not None:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def search(
    query: str, *, k: int = 10, at: dt.datetime | None = None, jurisdiction: Area | None = None
) -> list[Hit]:
    """The `k` entries that best answer `query`, best first, among those operators may see at `at`
    (now by default): in use, in force, and not overdue for review; with `jurisdiction` (a city
    area: the operator's, from yousu.org.selectors.jurisdiction_of), only that city's entries."""
    if not query.strip():
        return []
    day = timezone.localdate(at) if at is not None else timezone.localdate()
    city_code = jurisdiction.path_codes()[0] if jurisdiction is not None else None
    return entry_index().search(query, k=k, day=day, city_code=city_code)
