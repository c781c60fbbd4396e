#pragma once

// A training corpus read once from a Python iterable of token lists (gensim's `sentences=`).
// The GIL is held only while a chunk of sentences is copied out of Python (one C-API call per
// token, no Python code of ours); counting and encoding the chunk run with the GIL released.
// Tokens get provisional ids in first-seen order; at the end the vocabulary keeps the words that
// reach min_count and the ids are renumbered to it, so the iterable is read once, not once for
// the vocabulary and once per epoch as gensim reads it.

#include <embedkit/detail/string_map.hpp>
#include <embedkit/errors.hpp>
#include <embedkit/text/corpus.hpp>
#include <embedkit/text/vocab.hpp>

#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace embedkit::python {

namespace py = pybind11;

/// A vocabulary and the corpus encoded with it: what every trainer takes.
struct EncodedCorpus {
    Vocab vocab;
    Corpus corpus;
};

/// Tokens copied out of Python: their bytes back to back, where each ends, and after how many
/// tokens each sentence ends.
struct TokenChunk {
    std::string bytes;
    std::vector<std::size_t> token_ends;
    std::vector<std::size_t> sentence_ends;

    void clear() {
        bytes.clear();
        token_ends.clear();
        sentence_ends.clear();
    }
};

/// Counts tokens under provisional ids and records the sentences as those ids.
class TokenInterner {
public:
    void add(const TokenChunk& chunk) {
        std::size_t token = 0;
        std::size_t begin = 0;
        for (const std::size_t sentence_end : chunk.sentence_ends) {
            for (; token < sentence_end; ++token) {
                const std::size_t end = chunk.token_ends[token];
                const std::string_view word(chunk.bytes.data() + begin, end - begin);
                begin = end;
                Entry* entry = map_.try_emplace(word, Entry{static_cast<TokenId>(map_.size()), 0}).first;
                ++entry->count;
                ids_.push_back(entry->id);
            }
            ids_.push_back(kSentenceEnd);
        }
    }

    /// The words that reach `min_count` (at most `max_size`, 0 = no limit) and the corpus of them.
    /// invalid_argument when no word is left, or a kept word is empty or holds whitespace.
    [[nodiscard]] EncodedCorpus finish(std::int64_t min_count, std::size_t max_size) && {
        std::vector<std::pair<std::string, std::int64_t>> kept;
        for (std::size_t i = 0; i < map_.size(); ++i) {
            if (map_.value(i).count >= min_count) kept.emplace_back(std::string(map_.key(i)), map_.value(i).count);
        }
        if (kept.empty()) {
            throw invalid_argument("sentences: no token occurs at least min_count = " + std::to_string(min_count) +
                                   " times (or the iterable is empty)");
        }
        VocabOptions options;
        options.min_count = min_count;
        options.max_size = max_size;
        EncodedCorpus out;
        out.vocab = Vocab::from_counts(std::move(kept), options);
        std::vector<TokenId> final_id(map_.size(), kDropped);
        for (std::size_t i = 0; i < map_.size(); ++i) {
            if (const auto id = out.vocab.find(map_.key(i))) final_id[i] = *id;
        }
        std::size_t n = 0;
        for (const TokenId id : ids_) {
            const TokenId mapped = id == kSentenceEnd ? kSentenceEnd : final_id[static_cast<std::size_t>(id)];
            if (mapped != kDropped) ids_[n++] = mapped;
        }
        ids_.resize(n);
        out.corpus = Corpus::from_ids(std::move(ids_));  // drops the sentences left empty
        return out;
    }

private:
    struct Entry {
        TokenId id = 0;
        std::int64_t count = 0;
    };
    static constexpr TokenId kDropped = -2;

    detail::StringMap<Entry> map_;
    std::vector<TokenId> ids_;
};

/// Copies sentences from `iterator` into `chunk` until it holds `max_tokens` tokens or the
/// iterator ends (then returns false). Needs the GIL. TypeError naming the sentence (0-based)
/// when a sentence is not a sequence of str, or is a str itself.
inline bool fetch_chunk(PyObject* iterator, TokenChunk& chunk, std::size_t max_tokens, std::uint64_t& sentence_number) {
    while (chunk.token_ends.size() < max_tokens) {
        PyObject* next = PyIter_Next(iterator);
        if (next == nullptr) {
            if (PyErr_Occurred()) throw py::error_already_set();
            return false;
        }
        const py::object sentence = py::reinterpret_steal<py::object>(next);
        const std::string where = "sentence " + std::to_string(sentence_number);
        if (PyUnicode_Check(next) || PyBytes_Check(next)) {
            throw py::type_error(where + " is a " + std::string(Py_TYPE(next)->tp_name) +
                                 "; expected a list of tokens (str), e.g. text.split()");
        }
        PyObject* fast = PySequence_Fast(next, "");
        if (fast == nullptr) {
            PyErr_Clear();
            throw py::type_error(where + " is a " + std::string(Py_TYPE(next)->tp_name) +
                                 ", not a list of tokens (str)");
        }
        const py::object fast_owner = py::reinterpret_steal<py::object>(fast);
        const Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
        PyObject** items = PySequence_Fast_ITEMS(fast);
        for (Py_ssize_t i = 0; i < n; ++i) {
            if (!PyUnicode_Check(items[i])) {
                throw py::type_error(where + ", token " + std::to_string(i) + " is a " +
                                     std::string(Py_TYPE(items[i])->tp_name) + ", not a str");
            }
            Py_ssize_t size = 0;
            const char* utf8 = PyUnicode_AsUTF8AndSize(items[i], &size);
            if (utf8 == nullptr) throw py::error_already_set();
            if (size == 0) continue;  // an empty token is no word
            chunk.bytes.append(utf8, static_cast<std::size_t>(size));
            chunk.token_ends.push_back(chunk.bytes.size());
        }
        chunk.sentence_ends.push_back(chunk.token_ends.size());
        ++sentence_number;
    }
    return true;
}

/// Reads the whole iterable (call with the GIL held; it is released while each chunk is counted).
inline EncodedCorpus encode_sentences(const py::handle& sentences, std::int64_t min_count, std::size_t max_size,
                                      std::size_t chunk_tokens) {
    if (min_count < 1) throw invalid_options("min_count must be >= 1 (got " + std::to_string(min_count) + ")");
    if (chunk_tokens == 0) throw invalid_options("chunk_tokens must be positive");
    PyObject* raw = PyObject_GetIter(sentences.ptr());
    if (raw == nullptr) throw py::error_already_set();
    const py::object iterator = py::reinterpret_steal<py::object>(raw);
    TokenInterner interner;
    TokenChunk chunk;
    std::uint64_t sentence_number = 0;
    bool more = true;
    while (more) {
        chunk.clear();
        more = fetch_chunk(iterator.ptr(), chunk, chunk_tokens, sentence_number);
        py::gil_scoped_release release;
        interner.add(chunk);
    }
    py::gil_scoped_release release;
    return std::move(interner).finish(min_count, max_size);
}

}  // namespace embedkit::python
