"""Type stubs of the extension module embedkit._embedkit (python/src/embedkit_module.cpp)."""
from typing import Any, Callable, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

__version__: str

class Cancelled(RuntimeError): ...
class NumericError(ArithmeticError): ...

class TrainingProgress:
    fraction: float
    epoch: int
    tokens_processed: int
    words_per_sec_per_thread: float
    learning_rate: float
    loss: float
    elapsed_seconds: float
    eta_seconds: float

ProgressCallback = Callable[[TrainingProgress], Optional[bool]]

class Word2VecOptions:
    architecture: str  # "skipgram" | "cbow"
    dim: int
    window: int
    negative: int
    hierarchical_softmax: bool
    sample: float
    min_count: int
    epochs: int
    lr: Optional[float]
    min_lr_ratio: float
    cbow_mean: bool
    init_scale: float
    shared_negatives: bool
    threads: int
    seed: int
    progress_interval: float
    negative_power: Optional[float]
    def __init__(self) -> None: ...
    def validate(self) -> None: ...

class FastTextOptions:
    word2vec: Word2VecOptions
    minn: int
    maxn: int
    buckets: int
    gensim_input_scale: bool
    update_per_prediction: bool
    def __init__(self) -> None: ...
    def validate(self) -> None: ...

class CooccurrenceOptions:
    window: int
    distance_weighting: bool
    memory_mb: float
    temp_dir: str
    max_open_files: int
    threads: int
    def __init__(self) -> None: ...

class GloveOptions:
    dim: int
    x_max: float
    alpha: float
    epochs: int
    lr: float
    add_context_vectors: bool
    threads: int
    seed: int
    cooccurrence: CooccurrenceOptions
    progress_interval: float
    def __init__(self) -> None: ...
    def validate(self) -> None: ...

class PpmiSvdOptions:
    dim: int
    context_smoothing: float
    eigenvalue_power: float
    oversampling: int
    power_iterations: int
    threads: int
    seed: int
    cooccurrence: CooccurrenceOptions
    progress_interval: float
    def __init__(self) -> None: ...
    def validate(self) -> None: ...

class PairTrainerOptions:
    loss: str  # "infonce" | "nt-xent" | "mnrl" | "triplet" | "logistic"
    optimizer: str  # "adagrad" | "sgd"
    dim: int
    epochs: int
    batch_size: int
    negatives: Optional[int]
    negative_power: float
    two_tower: bool
    lr: Optional[float]
    min_lr_ratio: float
    adagrad_initial_accumulator: float
    init_sigma: float
    triplet_mining: bool
    threads: int
    seed: int
    progress_interval: float
    def __init__(self) -> None: ...
    def validate(self) -> None: ...

Key = Union[str, npt.ArrayLike]

class KeyedVectors:
    def __init__(self, keys: Sequence[str], vectors: npt.ArrayLike) -> None: ...
    @property
    def vectors(self) -> npt.NDArray[np.float32]: ...
    @property
    def index_to_key(self) -> List[str]: ...
    @property
    def key_to_index(self) -> dict: ...
    @property
    def vector_size(self) -> int: ...
    @property
    def is_fasttext(self) -> bool: ...
    def __len__(self) -> int: ...
    def __contains__(self, key: str) -> bool: ...
    def __getitem__(self, key: Union[str, Sequence[str]]) -> npt.NDArray[np.float32]: ...
    def has_index_for(self, key: str) -> bool: ...
    def get_index(self, key: str) -> int: ...
    def get_vector(self, key: str, norm: bool = ...) -> npt.NDArray[np.float32]: ...
    def most_similar(self, positive: Union[Key, Sequence[Key], None] = ..., negative: Union[Key, Sequence[Key], None] = ...,
                     topn: int = ..., restrict_vocab: int = ...) -> List[Tuple[str, float]]: ...
    def similarity(self, w1: Key, w2: Key) -> float: ...
    def analogy(self, a: str, b: str, c: str, topn: int = ..., method: str = ...,
                restrict_vocab: int = ...) -> List[Tuple[str, float]]: ...
    def evaluate_word_analogies(self, analogies: str, restrict_vocab: int = ..., case_insensitive: bool = ...,
                                method: str = ...) -> Tuple[float, List[dict]]: ...
    def evaluate_word_pairs(self, pairs: str, restrict_vocab: int = ..., case_insensitive: bool = ...
                            ) -> Tuple[Tuple[float, float], Tuple[float, float], float]: ...
    def save_word2vec_format(self, fname: str, binary: bool = ...) -> None: ...
    def save_fasttext_model(self, fname: str) -> None: ...
    def save(self, fname: str, binary: Optional[bool] = ...) -> None: ...
    @staticmethod
    def load(fname: str, binary: Optional[bool] = ...) -> "KeyedVectors": ...
    @staticmethod
    def load_word2vec_format(fname: str, binary: Optional[bool] = ..., limit: Optional[int] = ...) -> "KeyedVectors": ...
    def to_gensim(self) -> Any: ...

class Corpus:
    @property
    def words(self) -> List[str]: ...
    @property
    def counts(self) -> List[int]: ...
    @property
    def token_count(self) -> int: ...
    @property
    def sentence_count(self) -> int: ...
    def __len__(self) -> int: ...

def read_corpus_file(path: str, min_count: int = ..., max_vocab_size: int = ...) -> Corpus: ...
def corpus_from_sentences(sentences: Iterable[Sequence[str]], min_count: int = ..., max_vocab_size: int = ...,
                          chunk_tokens: int = ...) -> Corpus: ...
def load_word2vec_format(fname: str, binary: Optional[bool] = ..., limit: int = ...) -> KeyedVectors: ...
def load_fasttext_model(fname: str) -> KeyedVectors: ...
def train_word2vec(corpus: Corpus, options: Word2VecOptions, progress: Optional[ProgressCallback] = ...,
                   progress_interval: float = ...) -> KeyedVectors: ...
def train_fasttext(corpus: Corpus, options: FastTextOptions, progress: Optional[ProgressCallback] = ...,
                   progress_interval: float = ...) -> KeyedVectors: ...
def train_glove(corpus: Corpus, options: GloveOptions, progress: Optional[ProgressCallback] = ...,
                progress_interval: float = ...) -> KeyedVectors: ...
def train_ppmi_svd(corpus: Corpus, options: PpmiSvdOptions, progress: Optional[ProgressCallback] = ...,
                   progress_interval: float = ...) -> KeyedVectors: ...
def train_pairs(pairs: Union[str, Sequence[Tuple[str, str]]], options: PairTrainerOptions,
                progress: Optional[ProgressCallback] = ..., progress_interval: float = ...
                ) -> Tuple[KeyedVectors, Optional[KeyedVectors], List[float]]: ...

class losses:
    @staticmethod
    def infonce(anchors: npt.ArrayLike, positives: npt.ArrayLike, negatives: Optional[npt.ArrayLike] = ...,
                temperature: float = ..., similarity: str = ...) -> Tuple[Any, ...]: ...
    @staticmethod
    def nt_xent(first_views: npt.ArrayLike, second_views: npt.ArrayLike, temperature: float = ...,
                similarity: str = ...) -> Tuple[float, npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
    @staticmethod
    def mnrl(anchors: npt.ArrayLike, positives: npt.ArrayLike, hard_negatives: Optional[npt.ArrayLike] = ...,
             scale: float = ...) -> Tuple[Any, ...]: ...
    @staticmethod
    def triplet(anchors: npt.ArrayLike, positives: npt.ArrayLike, negatives: npt.ArrayLike, margin: float = ...,
                distance: str = ...) -> Tuple[float, npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
    @staticmethod
    def logistic(anchors: npt.ArrayLike, positives: npt.ArrayLike, negatives: npt.ArrayLike
                 ) -> Tuple[float, npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
