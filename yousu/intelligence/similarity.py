"""A shared, fitting-free text representation of short Chinese appeals: jieba words weighted by
term frequency × jieba's own IDF table, L2-normalised; as a word → weight dict (readable, storable
as JSON, used to name hot issues) or as a hashed sparse row (for matrix work).

Nothing is trained, so a vector never goes stale and can be computed for one appeal at a time.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections import Counter
from functools import lru_cache

import jieba
from scipy import sparse
from scipy.sparse.linalg import norm as sparse_norm
from sklearn.feature_extraction import FeatureHasher

# Words that say how citizens write, not what about: they would make every appeal look alike.
_STOP_WORDS = """
    的 了 是 在 我 我们 你们 他们 她们 它们 你 他 她 它 有 和 与 及 以及 或 或者 也 都 就 还 又 被 把 对 从 到 为 以
    于 这 那 这个 那个 这些 那些 这里 那里 这样 那样 一个 一些 什么 怎么 怎样 如何 为什么 为何 是否 能否 可否 请 请问
    希望 要求 反映 反应 投诉 咨询 举报 建议 关于 问题 情况 现在 目前 已经 没有 不是 不能 不会 不要 能 会 要 想 可以
    因为 所以 但是 但 而且 并且 如果 虽然 非常 十分 特别 一直 还是 相关 有关 部门 政府 领导 市民 居民 本人 您好 你好
    谢谢 感谢 麻烦 尊敬 辛苦 恳请 望 予以 进行 解决 处理 导致 造成 出现 存在 发生 由于 通过 根据 其中 之后 以后 以前 之前
    时候 时间 今年 去年 每天 经常 已 未 该 其 此 等 等等 个 里 上 下 中 后 前 多 很 太 更 最 好 大 小 呢 吗 吧 啊 呀
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())
_CJK = re.compile(r"[\u4e00-\u9fff]")
N_FEATURES = 2**20
_hasher = FeatureHasher(n_features=N_FEATURES, input_type="dict", alternate_sign=False)
_ready = threading.Lock()
_loaded = False
# The few dozen strongest words carry what an appeal is about; the tail is noise and costs time.
TOP_TERMS = 40


def _load() -> None:
    global _loaded
    if _loaded:
        return
    with _ready:
        if not _loaded:
            # jieba announces its dictionary build on the root logger; a server log needs none of it.
            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            _loaded = True


@lru_cache(maxsize=1)
def _idf() -> tuple[dict[str, float], float]:
    _load()
    import jieba.analyse  # reads jieba's IDF table once

    table = jieba.analyse.default_tfidf
    return table.idf_freq, table.median_idf


def tokens(text: str) -> list[str]:
    """The content words of a text: jieba words of two characters or more that hold Chinese and are
    not stop words (digits, codes and punctuation fall away)."""
    _load()
    return [
        word
        for word in jieba.lcut(text or "")
        if len(word) >= 2 and word not in STOP_WORDS and _CJK.search(word)
    ]


def term_weights(text: str, *, title: str = "", top: int = TOP_TERMS) -> dict[str, float]:
    """word → weight (tf × IDF, the `top` strongest, L2-normalised). A title's words count twice:
    it is the citizen's own summary of the matter."""
    counts = Counter(tokens(text))
    if title:
        for word in tokens(title):
            counts[word] += 2
    if not counts:
        return {}
    idf, median = _idf()
    weights = {word: count * idf.get(word, median) for word, count in counts.items()}
    if len(weights) > top:
        weights = dict(sorted(weights.items(), key=lambda kv: kv[1], reverse=True)[:top])
    return normalised(weights)


def normalised(weights: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(value * value for value in weights.values()))
    if not norm:
        return {}
    return {word: value / norm for word, value in weights.items()}


def dot(a: dict[str, float], b: dict[str, float]) -> float:
    """The cosine of two normalised weight dicts."""
    # The key intersection runs in C; only the few shared words are summed in Python.
    return sum(a[word] * b[word] for word in a.keys() & b.keys())


def vector_of(weights: dict[str, float]) -> sparse.csr_matrix:
    """A weight dict as a 1 × N_FEATURES sparse row (hashed words; collisions are negligible at 2^20)."""
    return _hasher.transform([weights]).tocsr()


def text_vector(text: str, *, title: str = "") -> sparse.csr_matrix:
    """An appeal's text as an L2-normalised sparse row."""
    return vector_of(term_weights(text, title=title))


def cosine(a: sparse.spmatrix, b: sparse.spmatrix) -> float:
    """The cosine of two sparse rows (0 when either is empty)."""
    a, b = sparse.csr_matrix(a), sparse.csr_matrix(b)
    norms = sparse_norm(a) * sparse_norm(b)
    if not norms:
        return 0.0
    return float(a.multiply(b).sum() / norms)
