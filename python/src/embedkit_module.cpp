// The extension module embedkit._embedkit: options structs with the C++ field names, corpora
// from files or Python iterables, the trainers (GIL released, Ctrl-C and progress watched by
// TrainingWatch), KeyedVectors over a matrix NumPy shares, vector files, evaluation and the
// contrastive losses on NumPy batches. The gensim-like classes are in python/embedkit/__init__.py.

#include "keyed_vectors.hpp"
#include "sentence_stream.hpp"
#include "training_watch.hpp"

#include <embedkit/embedkit.hpp>

#include <pybind11/eigen.h>
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace py = pybind11;
using namespace embedkit;
using embedkit::python::EncodedCorpus;
using embedkit::python::KeyedVectors;
using embedkit::python::TrainingWatch;

namespace {

// Matrices as NumPy sees them: float32, C order (a copy is made only when the caller's array is
// of another type or layout).
using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;

[[nodiscard]] RowMatrix<float> to_matrix(const FloatArray& a, const char* name) {
    if (a.ndim() != 2) throw invalid_argument(std::string(name) + " must be a 2-D array, got " + std::to_string(a.ndim()) + "-D");
    RowMatrix<float> m(a.shape(0), a.shape(1));
    if (m.size() > 0) std::memcpy(m.data(), a.data(), static_cast<std::size_t>(m.size()) * sizeof(float));
    return m;
}

[[nodiscard]] py::array_t<float> to_array(const RowMatrix<float>& m) {
    py::array_t<float> out({m.rows(), m.cols()});
    if (m.size() > 0) std::memcpy(out.mutable_data(), m.data(), static_cast<std::size_t>(m.size()) * sizeof(float));
    return out;
}

[[nodiscard]] py::array_t<float> to_array(const RowVector<float>& v) {
    py::array_t<float> out(v.size());
    if (v.size() > 0) std::memcpy(out.mutable_data(), v.data(), static_cast<std::size_t>(v.size()) * sizeof(float));
    return out;
}

// FileNotFoundError naming the path, before a reader reports it as a generic io_error.
void require_file(const std::string& path) {
    std::ifstream probe(path, std::ios::binary);
    if (!probe) {
        const int code = errno != 0 ? errno : ENOENT;
        PyErr_SetFromErrnoWithFilename(code == ENOENT ? PyExc_FileNotFoundError : PyExc_OSError, path.c_str());
        throw py::error_already_set();
    }
}

[[nodiscard]] std::shared_ptr<EncodedCorpus> read_corpus_file(const std::string& path, std::int64_t min_count,
                                                              std::size_t max_vocab_size) {
    require_file(path);
    VocabOptions options;
    options.min_count = min_count;
    options.max_size = max_vocab_size;
    validate(options);
    if (min_count < 1) throw invalid_options("min_count must be >= 1 (got " + std::to_string(min_count) + ")");
    TrainingWatch watch(py::none(), 1.0);
    return watch.run([&] {
        auto out = std::make_shared<EncodedCorpus>();
        out->vocab = Vocab::build_file(path, options);
        if (out->vocab.size() == 0) {
            throw invalid_argument(path + ": no word occurs at least min_count = " + std::to_string(min_count) +
                                   " times (or the file is empty)");
        }
        out->corpus = Corpus::encode_file(path, out->vocab);
        return out;
    });
}

// The watch's progress replaces the options' callback; its stop flag is set where there is one.
template <class Options>
void watch_options(Options& o, TrainingWatch& watch) {
    o.progress = watch.progress();
    o.progress_interval = std::min(o.progress_interval, 0.1);  // a stop is seen within 0.1 s
}

[[nodiscard]] std::shared_ptr<KeyedVectors> train_word2vec_py(const EncodedCorpus& corpus, Word2VecOptions options,
                                                              py::object progress, double interval) {
    validate(options);
    TrainingWatch watch(std::move(progress), interval);
    watch_options(options, watch);
    options.stop_requested = watch.stop_flag();
    return watch.run([&] {
        Word2VecModel<float> model = train_word2vec<float>(corpus.vocab, corpus.corpus.view(), options);
        return std::make_shared<KeyedVectors>(std::move(model).vectors());
    });
}

[[nodiscard]] std::shared_ptr<KeyedVectors> train_fasttext_py(const EncodedCorpus& corpus, FastTextOptions options,
                                                              py::object progress, double interval) {
    validate(options);
    TrainingWatch watch(std::move(progress), interval);
    watch_options(options.word2vec, watch);
    options.word2vec.stop_requested = watch.stop_flag();
    return watch.run([&] {
        auto model = std::make_shared<FastTextModel<float>>(train_fasttext<float>(corpus.vocab, corpus.corpus.view(), options));
        const unsigned threads = options.word2vec.threads;
        return std::make_shared<KeyedVectors>(model->vectors(threads), model);
    });
}

[[nodiscard]] std::shared_ptr<KeyedVectors> train_glove_py(const EncodedCorpus& corpus, GloveOptions options,
                                                           py::object progress, double interval) {
    validate(options);
    TrainingWatch watch(std::move(progress), interval);
    watch_options(options, watch);
    watch_options(options.cooccurrence, watch);
    return watch.run([&] {
        return std::make_shared<KeyedVectors>(train_glove<float>(corpus.vocab, corpus.corpus.view(), options).vectors());
    });
}

[[nodiscard]] std::shared_ptr<KeyedVectors> train_ppmi_svd_py(const EncodedCorpus& corpus, PpmiSvdOptions options,
                                                              py::object progress, double interval) {
    validate(options);
    TrainingWatch watch(std::move(progress), interval);
    watch_options(options, watch);
    watch_options(options.cooccurrence, watch);
    return watch.run([&] {
        return std::make_shared<KeyedVectors>(train_ppmi_svd<float>(corpus.vocab, corpus.corpus.view(), options).vectors());
    });
}

// Pairs from a Python list of (anchor, positive) keys: keys become ids in first-seen order.
[[nodiscard]] PairSet pairs_from_python(const py::handle& pairs, bool two_tower) {
    detail::StringMap<TokenId> anchors;
    detail::StringMap<TokenId> positives;
    PairSet set;
    std::size_t n = 0;
    for (const py::handle item : pairs) {
        const auto pair = item.cast<std::pair<std::string, std::string>>();
        auto& positive_space = two_tower ? positives : anchors;
        const TokenId a = *anchors.try_emplace(pair.first, static_cast<TokenId>(anchors.size())).first;
        const TokenId p = *positive_space.try_emplace(pair.second, static_cast<TokenId>(positive_space.size())).first;
        set.anchors.push_back(a);
        set.positives.push_back(p);
        ++n;
    }
    if (n == 0) throw invalid_argument("train_pairs: no pairs");
    for (std::size_t i = 0; i < anchors.size(); ++i) set.anchor_keys.emplace_back(anchors.key(i));
    set.separate_key_spaces = two_tower;
    for (std::size_t i = 0; i < positives.size(); ++i) set.positive_key_space.emplace_back(positives.key(i));
    set.check("train_pairs");
    return set;
}

[[nodiscard]] py::tuple train_pairs_py(const py::object& pairs, PairTrainerOptions options, py::object progress,
                                       double interval) {
    validate(options);
    PairSet set;
    if (py::isinstance<py::str>(pairs)) {
        const std::string path = pairs.cast<std::string>();
        require_file(path);
        set = read_pairs(path);
    } else {
        set = pairs_from_python(pairs, options.two_tower);
    }
    TrainingWatch watch(std::move(progress), interval);
    watch_options(options, watch);
    PairModel<float> model = watch.run([&] { return train_pairs<float>(set, options); });
    auto anchors = std::make_shared<KeyedVectors>(model.vectors());
    py::object positives = py::none();
    if (options.two_tower) positives = py::cast(std::make_shared<KeyedVectors>(model.positive_word_vectors()));
    return py::make_tuple(anchors, positives, model.epoch_loss);
}

[[nodiscard]] TokenId index_of(const KeyedVectors& kv, const std::string& word) {
    if (const auto id = kv.vectors().find(word)) return *id;
    throw py::key_error("Key '" + word + "' not present");
}

[[nodiscard]] RowVector<float> vector_of(const KeyedVectors& kv, const py::handle& key) {
    if (py::isinstance<py::str>(key)) {
        const std::string word = key.cast<std::string>();
        if (auto v = kv.vector(word)) return *v;
        throw py::key_error("Key '" + word + "' not present" +
                            (kv.fasttext() ? " (and it has no known character n-gram)" : ""));
    }
    const FloatArray a = FloatArray::ensure(key);
    if (!a || a.ndim() != 1) throw py::type_error("a key must be a str or a 1-D array of floats");
    return Eigen::Map<const RowVector<float>>(a.data(), a.shape(0));
}

[[nodiscard]] py::list neighbors_to_list(const KeyedVectors& kv, const std::vector<Neighbor<float>>& found) {
    py::list out;
    for (const auto& n : found) out.append(py::make_tuple(kv.vectors().word(n.id), static_cast<double>(n.score)));
    return out;
}

[[nodiscard]] std::vector<py::object> as_key_list(const py::object& keys) {
    std::vector<py::object> out;
    if (keys.is_none()) return out;
    if (py::isinstance<py::str>(keys) || py::isinstance<py::array>(keys)) {
        out.push_back(keys);
        return out;
    }
    for (const py::handle k : keys) out.push_back(py::reinterpret_borrow<py::object>(k));
    return out;
}

[[nodiscard]] AnalogyMethod parse_method(const std::string& method) {
    if (method == "3CosAdd" || method == "add") return AnalogyMethod::cos_add;
    if (method == "3CosMul" || method == "mul") return AnalogyMethod::cos_mul;
    throw invalid_options("method must be '3CosAdd' or '3CosMul', got '" + method + "'");
}

[[nodiscard]] std::shared_ptr<KeyedVectors> load_vectors(const std::string& path, std::optional<bool> binary,
                                                         std::size_t limit) {
    require_file(path);
    ReadVectorsOptions options;
    options.limit = limit;
    options.format = !binary ? VectorFormat::automatic : (*binary ? VectorFormat::binary : VectorFormat::text);
    py::gil_scoped_release release;
    return std::make_shared<KeyedVectors>(read_word2vec<float>(path, options));
}

[[nodiscard]] std::shared_ptr<KeyedVectors> load_fasttext(const std::string& path) {
    require_file(path);
    py::gil_scoped_release release;
    auto model = std::make_shared<FastTextModel<float>>(read_fasttext_model<float>(path));
    return std::make_shared<KeyedVectors>(model->vectors(), model);
}

// Options structs: every field under its C++ name; enums as their strings.
void bind_options(py::module_& m) {
    py::class_<TrainingProgress>(m, "TrainingProgress", "A trainer's progress report (train/training_progress.hpp).")
        .def_readonly("fraction", &TrainingProgress::fraction)
        .def_readonly("epoch", &TrainingProgress::epoch)
        .def_readonly("tokens_processed", &TrainingProgress::tokens_processed)
        .def_readonly("words_per_sec_per_thread", &TrainingProgress::words_per_sec_per_thread)
        .def_readonly("learning_rate", &TrainingProgress::learning_rate)
        .def_readonly("loss", &TrainingProgress::loss)
        .def_readonly("elapsed_seconds", &TrainingProgress::elapsed_seconds)
        .def_readonly("eta_seconds", &TrainingProgress::eta_seconds)
        .def("__repr__", [](const TrainingProgress& p) {
            return "TrainingProgress(fraction=" + std::to_string(p.fraction) + ", loss=" + std::to_string(p.loss) +
                   ", words_per_sec_per_thread=" + std::to_string(p.words_per_sec_per_thread) +
                   ", eta_seconds=" + std::to_string(p.eta_seconds) + ")";
        });

    py::class_<Word2VecOptions>(m, "Word2VecOptions", "The fields of embedkit::Word2VecOptions.")
        .def(py::init<>())
        .def_property(
            "architecture", [](const Word2VecOptions& o) { return setting_text(o.architecture); },
            [](Word2VecOptions& o, const std::string& text) {
                if (!parse_setting(text, o.architecture)) {
                    throw invalid_options("Word2VecOptions.architecture must be 'skipgram' or 'cbow', got '" + text + "'");
                }
            })
        .def_readwrite("dim", &Word2VecOptions::dim)
        .def_readwrite("window", &Word2VecOptions::window)
        .def_readwrite("negative", &Word2VecOptions::negative)
        .def_readwrite("hierarchical_softmax", &Word2VecOptions::hierarchical_softmax)
        .def_readwrite("sample", &Word2VecOptions::sample)
        .def_readwrite("min_count", &Word2VecOptions::min_count)
        .def_readwrite("epochs", &Word2VecOptions::epochs)
        .def_readwrite("lr", &Word2VecOptions::lr)
        .def_readwrite("min_lr_ratio", &Word2VecOptions::min_lr_ratio)
        .def_readwrite("cbow_mean", &Word2VecOptions::cbow_mean)
        .def_readwrite("init_scale", &Word2VecOptions::init_scale)
        .def_readwrite("shared_negatives", &Word2VecOptions::shared_negatives)
        .def_readwrite("threads", &Word2VecOptions::threads)
        .def_readwrite("seed", &Word2VecOptions::seed)
        .def_readwrite("progress_interval", &Word2VecOptions::progress_interval)
        .def_readwrite("negative_power", &Word2VecOptions::negative_power)
        .def("validate", [](const Word2VecOptions& o) { validate(o); });

    py::class_<FastTextOptions>(m, "FastTextOptions", "The fields of embedkit::FastTextOptions.")
        .def(py::init<>())
        .def_readwrite("word2vec", &FastTextOptions::word2vec)
        .def_readwrite("minn", &FastTextOptions::minn)
        .def_readwrite("maxn", &FastTextOptions::maxn)
        .def_readwrite("buckets", &FastTextOptions::buckets)
        .def_readwrite("gensim_input_scale", &FastTextOptions::gensim_input_scale)
        .def_readwrite("update_per_prediction", &FastTextOptions::update_per_prediction)
        .def("validate", [](const FastTextOptions& o) { validate(o); });

    py::class_<CooccurrenceOptions>(m, "CooccurrenceOptions", "The fields of embedkit::CooccurrenceOptions.")
        .def(py::init<>())
        .def_readwrite("window", &CooccurrenceOptions::window)
        .def_readwrite("distance_weighting", &CooccurrenceOptions::distance_weighting)
        .def_readwrite("memory_mb", &CooccurrenceOptions::memory_mb)
        .def_readwrite("temp_dir", &CooccurrenceOptions::temp_dir)
        .def_readwrite("max_open_files", &CooccurrenceOptions::max_open_files)
        .def_readwrite("threads", &CooccurrenceOptions::threads);

    py::class_<GloveOptions>(m, "GloveOptions", "The fields of embedkit::GloveOptions.")
        .def(py::init<>())
        .def_readwrite("dim", &GloveOptions::dim)
        .def_readwrite("x_max", &GloveOptions::x_max)
        .def_readwrite("alpha", &GloveOptions::alpha)
        .def_readwrite("epochs", &GloveOptions::epochs)
        .def_readwrite("lr", &GloveOptions::lr)
        .def_readwrite("add_context_vectors", &GloveOptions::add_context_vectors)
        .def_readwrite("threads", &GloveOptions::threads)
        .def_readwrite("seed", &GloveOptions::seed)
        .def_readwrite("cooccurrence", &GloveOptions::cooccurrence)
        .def_readwrite("progress_interval", &GloveOptions::progress_interval)
        .def("validate", [](const GloveOptions& o) { validate(o); });

    py::class_<PpmiSvdOptions>(m, "PpmiSvdOptions", "The fields of embedkit::PpmiSvdOptions.")
        .def(py::init<>())
        .def_readwrite("dim", &PpmiSvdOptions::dim)
        .def_readwrite("context_smoothing", &PpmiSvdOptions::context_smoothing)
        .def_readwrite("eigenvalue_power", &PpmiSvdOptions::eigenvalue_power)
        .def_readwrite("oversampling", &PpmiSvdOptions::oversampling)
        .def_readwrite("power_iterations", &PpmiSvdOptions::power_iterations)
        .def_readwrite("threads", &PpmiSvdOptions::threads)
        .def_readwrite("seed", &PpmiSvdOptions::seed)
        .def_readwrite("cooccurrence", &PpmiSvdOptions::cooccurrence)
        .def_readwrite("progress_interval", &PpmiSvdOptions::progress_interval)
        .def("validate", [](const PpmiSvdOptions& o) { validate(o); });

    py::class_<PairTrainerOptions>(m, "PairTrainerOptions", "The fields of embedkit::PairTrainerOptions (loss options flattened: temperature, margin).")
        .def(py::init<>())
        .def_property(
            "loss", [](const PairTrainerOptions& o) { return std::string(to_string(o.loss)); },
            [](PairTrainerOptions& o, const std::string& text) { o.loss = parse_pair_loss(text); })
        .def_property(
            "optimizer", [](const PairTrainerOptions& o) { return std::string(to_string(o.optimizer)); },
            [](PairTrainerOptions& o, const std::string& text) { o.optimizer = parse_pair_optimizer(text); })
        .def_readwrite("dim", &PairTrainerOptions::dim)
        .def_readwrite("epochs", &PairTrainerOptions::epochs)
        .def_readwrite("batch_size", &PairTrainerOptions::batch_size)
        .def_readwrite("negatives", &PairTrainerOptions::negatives)
        .def_readwrite("negative_power", &PairTrainerOptions::negative_power)
        .def_readwrite("two_tower", &PairTrainerOptions::two_tower)
        .def_readwrite("lr", &PairTrainerOptions::lr)
        .def_readwrite("min_lr_ratio", &PairTrainerOptions::min_lr_ratio)
        .def_readwrite("adagrad_initial_accumulator", &PairTrainerOptions::adagrad_initial_accumulator)
        .def_readwrite("init_sigma", &PairTrainerOptions::init_sigma)
        .def_readwrite("triplet_mining", &PairTrainerOptions::triplet_mining)
        .def_readwrite("threads", &PairTrainerOptions::threads)
        .def_readwrite("seed", &PairTrainerOptions::seed)
        .def_readwrite("progress_interval", &PairTrainerOptions::progress_interval)
        .def("validate", [](const PairTrainerOptions& o) { validate(o); });
}

void bind_keyed_vectors(py::module_& m) {
    py::class_<KeyedVectors, std::shared_ptr<KeyedVectors>>(m, "KeyedVectors", py::dynamic_attr(),
                                                            "Words and their vectors; `vectors` shares memory with the C++ matrix.")
        .def(py::init([](std::vector<std::string> keys, const FloatArray& vectors) {
                 return std::make_shared<KeyedVectors>(WordVectors<float>(std::move(keys), to_matrix(vectors, "vectors")));
             }),
             py::arg("keys"), py::arg("vectors"))
        .def_property_readonly(
            "vectors",
            [](py::object self) {
                auto& m = self.cast<KeyedVectors&>().vectors().matrix();
                const auto f = static_cast<py::ssize_t>(sizeof(float));
                return py::array_t<float>({m.rows(), m.cols()}, {m.cols() * f, f}, m.data(), self);
            },
            "The matrix, one row per word: a NumPy view of the C++ matrix (writes go through).")
        .def("_index_to_key", [](const KeyedVectors& kv) { return kv.vectors().words(); })
        .def("_key_to_index",
                               [](const KeyedVectors& kv) {
                                   py::dict d;
                                   const auto& words = kv.vectors().words();
                                   for (std::size_t i = 0; i < words.size(); ++i) d[py::str(words[i])] = i;
                                   return d;
                               })
        .def_property_readonly("vector_size", [](const KeyedVectors& kv) { return kv.vectors().dim(); })
        .def_property_readonly("is_fasttext", [](const KeyedVectors& kv) { return kv.fasttext() != nullptr; })
        .def("__len__", [](const KeyedVectors& kv) { return kv.vectors().size(); })
        .def("__contains__", [](const KeyedVectors& kv, const std::string& w) { return kv.has_vector(w); })
        .def("has_index_for", [](const KeyedVectors& kv, const std::string& w) { return kv.vectors().contains(w); })
        .def("get_index", [](const KeyedVectors& kv, const std::string& w) { return index_of(kv, w); }, py::arg("key"))
        .def(
            "get_vector",
            [](const KeyedVectors& kv, const std::string& w, bool norm) {
                RowVector<float> v = vector_of(kv, py::str(w));
                if (norm && v.norm() > 0) v /= v.norm();
                return to_array(v);
            },
            py::arg("key"), py::arg("norm") = false)
        .def("__getitem__",
             [](const KeyedVectors& kv, const py::object& keys) -> py::object {
                 if (py::isinstance<py::str>(keys)) return to_array(vector_of(kv, keys));
                 std::vector<RowVector<float>> rows;
                 for (const py::handle k : keys) rows.push_back(vector_of(kv, k));
                 RowMatrix<float> out(static_cast<Eigen::Index>(rows.size()), kv.vectors().dim());
                 for (std::size_t i = 0; i < rows.size(); ++i) out.row(static_cast<Eigen::Index>(i)) = rows[i];
                 return to_array(out);
             })
        .def(
            "most_similar",
            [](const KeyedVectors& kv, const py::object& positive, const py::object& negative, Eigen::Index topn,
               Eigen::Index restrict_vocab) {
                std::vector<RowVector<float>> pos;
                std::vector<RowVector<float>> neg;
                std::vector<TokenId> exclude;
                auto gather = [&](const py::object& keys, std::vector<RowVector<float>>& out) {
                    for (const py::object& k : as_key_list(keys)) {
                        out.push_back(vector_of(kv, k));
                        if (py::isinstance<py::str>(k)) {
                            if (const auto id = kv.vectors().find(k.cast<std::string>())) exclude.push_back(*id);
                        }
                    }
                };
                gather(positive, pos);
                gather(negative, neg);
                std::vector<Neighbor<float>> found;
                {
                    py::gil_scoped_release release;
                    found = kv.most_similar(pos, neg, std::move(exclude), topn, restrict_vocab);
                }
                return neighbors_to_list(kv, found);
            },
            py::arg("positive") = py::none(), py::arg("negative") = py::none(), py::arg("topn") = 10,
            py::arg("restrict_vocab") = 0)
        .def(
            "similarity",
            [](const KeyedVectors& kv, const py::object& a, const py::object& b) {
                return embedkit::python::cosine(vector_of(kv, a), vector_of(kv, b));
            },
            py::arg("w1"), py::arg("w2"))
        .def(
            "analogy",
            [](const KeyedVectors& kv, const std::string& a, const std::string& b, const std::string& c,
               Eigen::Index topn, const std::string& method, Eigen::Index restrict_vocab) {
                AnalogyOptions options;
                options.method = parse_method(method);
                std::vector<Neighbor<float>> found;
                {
                    py::gil_scoped_release release;
                    const AnalogySolver<float> solver(kv.vectors(), restrict_vocab);
                    found = solver.solve(a, b, c, topn, options);
                }
                return neighbors_to_list(kv, found);
            },
            py::arg("a"), py::arg("b"), py::arg("c"), py::arg("topn") = 1, py::arg("method") = "3CosAdd",
            py::arg("restrict_vocab") = 0,
            "Answers a : b :: c : ? (b - a + c with 3CosAdd).")
        .def(
            "evaluate_word_analogies",
            [](const KeyedVectors& kv, const std::string& path, Eigen::Index restrict_vocab, bool case_insensitive,
               const std::string& method) {
                require_file(path);
                AnalogyEvalOptions options;
                options.restrict_vocab = restrict_vocab;
                options.case_insensitive = case_insensitive;
                options.method = parse_method(method);
                AnalogyEvalResult r;
                {
                    py::gil_scoped_release release;
                    r = evaluate_analogies(kv.vectors(), path, options);
                }
                py::list sections;
                auto add = [&](const AnalogyScore& s) {
                    py::dict d;
                    d["section"] = s.name;
                    d["correct"] = s.correct;
                    d["incorrect"] = s.answered - s.correct;
                    d["skipped"] = s.skipped;
                    d["accuracy"] = s.accuracy();
                    sections.append(d);
                };
                for (const auto& s : r.sections) add(s);
                AnalogyScore total = r.overall;
                total.name = "Total accuracy";
                add(total);
                return py::make_tuple(r.overall.accuracy(), sections);
            },
            py::arg("analogies"), py::arg("restrict_vocab") = 300000, py::arg("case_insensitive") = true,
            py::arg("method") = "3CosAdd")
        .def(
            "evaluate_word_pairs",
            [](const KeyedVectors& kv, const std::string& path, Eigen::Index restrict_vocab, bool case_insensitive) {
                require_file(path);
                SimilarityEvalOptions options;
                options.restrict_vocab = restrict_vocab;
                options.case_insensitive = case_insensitive;
                SimilarityEvalResult r;
                {
                    py::gil_scoped_release release;
                    r = evaluate_word_pairs(kv.vectors(), path, options);
                }
                const double nan = std::numeric_limits<double>::quiet_NaN();
                const double oov = r.total == 0 ? 0.0 : 100.0 * static_cast<double>(r.total - r.found) / static_cast<double>(r.total);
                return py::make_tuple(py::make_tuple(r.pearson, nan), py::make_tuple(r.spearman, nan), oov);
            },
            py::arg("pairs"), py::arg("restrict_vocab") = 300000, py::arg("case_insensitive") = true)
        .def(
            "save_word2vec_format",
            [](const KeyedVectors& kv, const std::string& path, bool binary) {
                py::gil_scoped_release release;
                write_word2vec(path, kv.vectors(), binary ? VectorFormat::binary : VectorFormat::text);
            },
            py::arg("fname"), py::arg("binary") = false)
        .def(
            "save_fasttext_model",
            [](const KeyedVectors& kv, const std::string& path) {
                if (kv.fasttext() == nullptr) throw invalid_argument("save_fasttext_model: these vectors have no fastText model");
                py::gil_scoped_release release;
                kv.fasttext()->save(path);
            },
            py::arg("fname"));

    m.def("load_word2vec_format", &load_vectors, py::arg("fname"), py::arg("binary") = py::none(), py::arg("limit") = 0,
          "Reads word2vec text (also fastText .vec) or binary vectors; binary=None detects the format.");
    m.def("load_fasttext_model", &load_fasttext, py::arg("fname"),
          "Reads a fastText .bin model or an embedkit fastText model: vectors for unseen words too.");
}

void bind_training(py::module_& m) {
    py::class_<EncodedCorpus, std::shared_ptr<EncodedCorpus>>(m, "Corpus",
                                                             "A vocabulary and the corpus encoded with it, read once.")
        .def_property_readonly("words", [](const EncodedCorpus& c) { return c.vocab.words(); })
        .def_property_readonly("counts", [](const EncodedCorpus& c) { return c.vocab.counts(); })
        .def_property_readonly("token_count", [](const EncodedCorpus& c) { return c.corpus.token_count(); })
        .def_property_readonly("sentence_count", [](const EncodedCorpus& c) { return c.corpus.sentence_count(); })
        .def("__len__", [](const EncodedCorpus& c) { return c.vocab.size(); });

    m.def("read_corpus_file", &read_corpus_file, py::arg("path"), py::arg("min_count") = 5, py::arg("max_vocab_size") = 0,
          "Builds the vocabulary and encodes a text file (one sentence per line, whitespace-separated), GIL released.");
    m.def("corpus_from_sentences", &embedkit::python::encode_sentences, py::arg("sentences"), py::arg("min_count") = 5,
          py::arg("max_vocab_size") = 0, py::arg("chunk_tokens") = 1 << 16,
          "Reads an iterable of token lists once, in chunks; the GIL is released while each chunk is counted.");
    m.def("train_word2vec", &train_word2vec_py, py::arg("corpus"), py::arg("options"), py::arg("progress") = py::none(),
          py::arg("progress_interval") = 1.0);
    m.def("train_fasttext", &train_fasttext_py, py::arg("corpus"), py::arg("options"), py::arg("progress") = py::none(),
          py::arg("progress_interval") = 1.0);
    m.def("train_glove", &train_glove_py, py::arg("corpus"), py::arg("options"), py::arg("progress") = py::none(),
          py::arg("progress_interval") = 1.0);
    m.def("train_ppmi_svd", &train_ppmi_svd_py, py::arg("corpus"), py::arg("options"), py::arg("progress") = py::none(),
          py::arg("progress_interval") = 1.0);
    m.def("train_pairs", &train_pairs_py, py::arg("pairs"), py::arg("options"), py::arg("progress") = py::none(),
          py::arg("progress_interval") = 1.0,
          "Trains on (anchor, positive) key pairs (a list of 2-tuples of str, or a pairs file path); returns "
          "(anchor vectors, positive vectors or None, per-epoch loss).");
}

// The contrastive losses on NumPy batches, in float64 (finite-difference checks need it): each
// returns (loss, gradient of every input batch, in the inputs' order).
using DoubleArray = py::array_t<double, py::array::c_style | py::array::forcecast>;

[[nodiscard]] RowMatrix<double> to_double_matrix(const DoubleArray& a, const char* name) {
    if (a.ndim() != 2) throw invalid_argument(std::string(name) + " must be a 2-D array, got " + std::to_string(a.ndim()) + "-D");
    RowMatrix<double> m(a.shape(0), a.shape(1));
    if (m.size() > 0) std::memcpy(m.data(), a.data(), static_cast<std::size_t>(m.size()) * sizeof(double));
    return m;
}

[[nodiscard]] py::array_t<double> to_double_array(const RowMatrix<double>& m) {
    py::array_t<double> out({m.rows(), m.cols()});
    if (m.size() > 0) std::memcpy(out.mutable_data(), m.data(), static_cast<std::size_t>(m.size()) * sizeof(double));
    return out;
}

[[nodiscard]] Similarity parse_similarity(const std::string& text) {
    if (text == "cosine") return Similarity::cosine;
    if (text == "dot") return Similarity::dot;
    throw invalid_options("similarity must be 'cosine' or 'dot', got '" + text + "'");
}

void bind_losses(py::module_& parent) {
    py::module_ m = parent.def_submodule("losses", "Contrastive losses on NumPy batches: value and analytic gradient.");
    m.def(
        "infonce",
        [](const DoubleArray& anchors, const DoubleArray& positives, const py::object& negatives, double temperature,
           const std::string& similarity) {
            InfoNceOptions o;
            o.temperature = temperature;
            o.similarity = parse_similarity(similarity);
            validate(o);
            const RowMatrix<double> a = to_double_matrix(anchors, "anchors");
            const RowMatrix<double> p = to_double_matrix(positives, "positives");
            if (negatives.is_none()) {
                const InfoNceResult<double> r = infonce_in_batch_loss(a, p, o);
                return py::make_tuple(r.loss, to_double_array(r.grad_anchors), to_double_array(r.grad_positives));
            }
            const RowMatrix<double> n = to_double_matrix(DoubleArray::ensure(negatives), "negatives");
            const InfoNceResult<double> r = infonce_loss(a, p, n, o);
            return py::make_tuple(r.loss, to_double_array(r.grad_anchors), to_double_array(r.grad_positives),
                                  to_double_array(r.grad_negatives));
        },
        py::arg("anchors"), py::arg("positives"), py::arg("negatives") = py::none(), py::arg("temperature") = 0.1,
        py::arg("similarity") = "cosine",
        "InfoNCE: in-batch negatives (B x D anchors and positives), or explicit negatives ((B*K) x D, rows "
        "i*K..i*K+K-1 those of anchor i). Returns (loss, grad_anchors, grad_positives[, grad_negatives]).");
    m.def(
        "nt_xent",
        [](const DoubleArray& first, const DoubleArray& second, double temperature, const std::string& similarity) {
            NtXentOptions o;
            o.temperature = temperature;
            o.similarity = parse_similarity(similarity);
            validate(o);
            const NtXentResult<double> r = nt_xent_loss(to_double_matrix(first, "first_views"), to_double_matrix(second, "second_views"), o);
            return py::make_tuple(r.loss, to_double_array(r.grad_first), to_double_array(r.grad_second));
        },
        py::arg("first_views"), py::arg("second_views"), py::arg("temperature") = 0.5, py::arg("similarity") = "cosine",
        "NT-Xent (SimCLR) over the 2B views. Returns (loss, grad_first, grad_second).");
    m.def(
        "mnrl",
        [](const DoubleArray& anchors, const DoubleArray& positives, const py::object& hard_negatives, double scale) {
            MnrlOptions o;
            o.scale = scale;
            validate(o);
            const RowMatrix<double> a = to_double_matrix(anchors, "anchors");
            const RowMatrix<double> p = to_double_matrix(positives, "positives");
            if (hard_negatives.is_none()) {
                const MnrlResult<double> r = mnrl_loss(a, p, o);
                return py::make_tuple(r.loss, to_double_array(r.grad_anchors), to_double_array(r.grad_positives));
            }
            const RowMatrix<double> n = to_double_matrix(DoubleArray::ensure(hard_negatives), "hard_negatives");
            const MnrlResult<double> r = mnrl_loss(a, p, n, o);
            return py::make_tuple(r.loss, to_double_array(r.grad_anchors), to_double_array(r.grad_positives),
                                  to_double_array(r.grad_negatives));
        },
        py::arg("anchors"), py::arg("positives"), py::arg("hard_negatives") = py::none(), py::arg("scale") = 20.0,
        "Multiple-negatives ranking loss (scale * cosine logits). Returns (loss, grad_anchors, grad_positives[, grad_hard_negatives]).");
    m.def(
        "triplet",
        [](const DoubleArray& anchors, const DoubleArray& positives, const DoubleArray& negatives, double margin,
           const std::string& distance) {
            TripletOptions o;
            o.margin = margin;
            o.distance = parse_triplet_distance(distance);
            validate(o);
            const TripletResult<double> r = triplet_loss(to_double_matrix(anchors, "anchors"), to_double_matrix(positives, "positives"),
                                                         to_double_matrix(negatives, "negatives"), o);
            return py::make_tuple(r.loss, to_double_array(r.grad_anchors), to_double_array(r.grad_positives),
                                  to_double_array(r.grad_negatives));
        },
        py::arg("anchors"), py::arg("positives"), py::arg("negatives"), py::arg("margin") = 0.2, py::arg("distance") = "cosine",
        "Triplet loss max(0, d(a,p) - d(a,n) + margin); negatives (B*K) x D. Returns (loss, grad_anchors, grad_positives, grad_negatives).");
    m.def(
        "logistic",
        [](const DoubleArray& anchors, const DoubleArray& positives, const DoubleArray& negatives) {
            const LogisticResult<double> r = logistic_loss(to_double_matrix(anchors, "anchors"), to_double_matrix(positives, "positives"),
                                                           to_double_matrix(negatives, "negatives"));
            return py::make_tuple(r.loss, to_double_array(r.grad_anchors), to_double_array(r.grad_positives),
                                  to_double_array(r.grad_negatives));
        },
        py::arg("anchors"), py::arg("positives"), py::arg("negatives"),
        "word2vec's negative-sampling objective; negatives (B*K) x D. Returns (loss, grad_anchors, grad_positives, grad_negatives).");
}

}  // namespace

PYBIND11_MODULE(_embedkit, m) {
    m.doc() = "embedkit's C++ core; use the package embedkit (gensim-like classes) on top of it.";
    m.attr("__version__") = std::to_string(EMBEDKIT_VERSION_MAJOR) + "." + std::to_string(EMBEDKIT_VERSION_MINOR) + "." +
                            std::to_string(EMBEDKIT_VERSION_PATCH);

    static py::exception<cancelled> cancelled_error(m, "Cancelled", PyExc_RuntimeError);
    static py::exception<numeric_error> numeric(m, "NumericError", PyExc_ArithmeticError);
    cancelled_error.attr("__doc__") = "A training run stopped by its progress callback (it returned False).";
    numeric.attr("__doc__") = "Training diverged (NaN or Inf); typically the learning rate is too high.";
    // C++ exceptions become the Python ones a gensim user expects, with the C++ message.
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const invalid_options& e) {
            PyErr_SetString(PyExc_ValueError, e.what());
        } catch (const invalid_argument& e) {
            PyErr_SetString(PyExc_ValueError, e.what());
        } catch (const io_error& e) {
            PyErr_SetString(PyExc_OSError, e.what());
        } catch (const numeric_error& e) {
            PyErr_SetString(numeric.ptr(), e.what());
        } catch (const cancelled& e) {
            PyErr_SetString(cancelled_error.ptr(), e.what());
        }
    });

    bind_options(m);
    bind_keyed_vectors(m);
    bind_training(m);
    bind_losses(m);
}
