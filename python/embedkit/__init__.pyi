"""Type stubs of the package embedkit (python/embedkit/__init__.py)."""
from typing import Any, Iterable, List, Optional, Sequence, Tuple, Union

from ._embedkit import (Cancelled as Cancelled, CooccurrenceOptions as CooccurrenceOptions, Corpus as Corpus,
                        FastTextOptions as FastTextOptions, GloveOptions as GloveOptions, KeyedVectors as KeyedVectors,
                        NumericError as NumericError, PairTrainerOptions as PairTrainerOptions,
                        PpmiSvdOptions as PpmiSvdOptions, ProgressCallback, TrainingProgress as TrainingProgress,
                        Word2VecOptions as Word2VecOptions, corpus_from_sentences as corpus_from_sentences,
                        load_fasttext_model as load_fasttext_model, load_word2vec_format as load_word2vec_format,
                        losses as losses, read_corpus_file as read_corpus_file)

__version__: str

Sentences = Union[Iterable[Sequence[str]], Corpus]
Progress = Union[str, bool, None, ProgressCallback]

class Word2Vec:
    options: Word2VecOptions
    wv: Optional[KeyedVectors]
    corpus: Optional[Corpus]
    vector_size: int
    epochs: int
    corpus_count: int
    corpus_total_words: int
    def __init__(self, sentences: Optional[Sentences] = ..., corpus_file: Optional[str] = ...,
                 corpus_iterable: Optional[Sentences] = ..., progress: Progress = ..., progress_interval: float = ...,
                 **options: Any) -> None: ...
    def build_vocab(self, corpus_iterable: Optional[Sentences] = ..., corpus_file: Optional[str] = ...,
                    **ignored: Any) -> "Word2Vec": ...
    def train(self, corpus_iterable: Optional[Sentences] = ..., corpus_file: Optional[str] = ...,
              epochs: Optional[int] = ..., **ignored: Any) -> KeyedVectors: ...

class FastText:
    options: FastTextOptions
    wv: Optional[KeyedVectors]
    corpus: Optional[Corpus]
    vector_size: int
    epochs: int
    corpus_count: int
    corpus_total_words: int
    def __init__(self, sentences: Optional[Sentences] = ..., corpus_file: Optional[str] = ...,
                 corpus_iterable: Optional[Sentences] = ..., progress: Progress = ..., progress_interval: float = ...,
                 **options: Any) -> None: ...
    def build_vocab(self, corpus_iterable: Optional[Sentences] = ..., corpus_file: Optional[str] = ...,
                    **ignored: Any) -> "FastText": ...
    def train(self, corpus_iterable: Optional[Sentences] = ..., corpus_file: Optional[str] = ...,
              epochs: Optional[int] = ..., **ignored: Any) -> KeyedVectors: ...

class GloVe:
    options: GloveOptions
    wv: KeyedVectors
    corpus: Corpus
    vector_size: int
    def __init__(self, sentences: Optional[Sentences] = ..., corpus_file: Optional[str] = ..., progress: Progress = ...,
                 progress_interval: float = ..., **options: Any) -> None: ...

class PpmiSvd:
    options: PpmiSvdOptions
    wv: KeyedVectors
    corpus: Corpus
    vector_size: int
    def __init__(self, sentences: Optional[Sentences] = ..., corpus_file: Optional[str] = ..., progress: Progress = ...,
                 progress_interval: float = ..., **options: Any) -> None: ...

class PairModel:
    wv: KeyedVectors
    positive_wv: Optional[KeyedVectors]
    epoch_loss: List[float]
    options: PairTrainerOptions

def train_pairs(pairs: Union[str, Sequence[Tuple[str, str]]], progress: Progress = ..., progress_interval: float = ...,
                **options: Any) -> PairModel: ...
def tqdm_progress(desc: str = ...) -> ProgressCallback: ...
def load_facebook_vectors(path: str) -> KeyedVectors: ...
def load_facebook_model(path: str) -> Any: ...
