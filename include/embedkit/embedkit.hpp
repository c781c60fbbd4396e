#pragma once

// Umbrella header: everything public in embedkit. Prefer the individual headers in large
// projects; they compile faster.

#include "embedkit/version.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/types.hpp"

#include "embedkit/text/tokenizer.hpp"
#include "embedkit/text/vocab.hpp"
#include "embedkit/text/corpus.hpp"
#include "embedkit/text/subsampling.hpp"
#include "embedkit/text/subwords.hpp"
#include "embedkit/text/pair_set.hpp"

#include "embedkit/core/alias_sampler.hpp"
#include "embedkit/core/embedding.hpp"
#include "embedkit/core/huffman_tree.hpp"
#include "embedkit/core/pooling.hpp"
#include "embedkit/core/positional_encoding.hpp"
#include "embedkit/core/sparse_optimizer.hpp"
#include "embedkit/core/word_vectors.hpp"
#include "embedkit/core/kmeans.hpp"
#include "embedkit/core/fasttext_model.hpp"

#include "embedkit/train/training_progress.hpp"
#include "embedkit/train/schedule.hpp"
#include "embedkit/train/executor.hpp"
#include "embedkit/train/training_run.hpp"
#include "embedkit/train/checkpoint.hpp"

#include "embedkit/models/word2vec.hpp"
#include "embedkit/models/fasttext.hpp"
#include "embedkit/models/pair_trainer.hpp"
#include "embedkit/models/cooccurrence.hpp"
#include "embedkit/models/glove.hpp"
#include "embedkit/models/ppmi_svd.hpp"
#include "embedkit/losses/infonce.hpp"
#include "embedkit/losses/nt_xent.hpp"
#include "embedkit/losses/mnrl.hpp"
#include "embedkit/losses/triplet.hpp"
#include "embedkit/losses/logistic.hpp"

#include "embedkit/search/topk_index.hpp"
#include "embedkit/search/analogy.hpp"
#include "embedkit/search/passage_embedder.hpp"
#include "embedkit/search/rerank.hpp"
#include "embedkit/search/int8_vectors.hpp"
#include "embedkit/search/pq_vectors.hpp"

#include "embedkit/eval/analogy_eval.hpp"
#include "embedkit/eval/similarity_eval.hpp"

#include "embedkit/io/word2vec_format.hpp"
#include "embedkit/io/fasttext_bin.hpp"
