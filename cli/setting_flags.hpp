#pragma once

// Which command-line flag sets each checkpoint setting of Word2Vec and fastText, so that
// `train --resume` can compare the flags given with the checkpoint's values. The settings
// themselves are declared once in the library (for_each_word2vec_setting,
// for_each_fasttext_setting); tests/cli/setting_flags_test.cpp fails when a setting has neither
// a flag here nor a place in kSettingsWithoutFlag.

namespace embedkit::cli {

/// A flag that sets a checkpoint setting, and how its value reads on the command line.
struct SettingFlag {
    enum Kind { integer, real, on, off };  // on: the flag sets the setting to 1; off: to 0 (--cbow-sum)
    const char* flag;
    const char* key;
    Kind kind;
    const char* absent = "";  ///< on, off: how the value without the flag reads
};

inline const SettingFlag kSettingFlags[] = {
    {"--dim", "dim", SettingFlag::integer},
    {"--window", "window", SettingFlag::integer},
    {"--negative", "negative", SettingFlag::integer},
    {"--hs", "hierarchical_softmax", SettingFlag::on, "no --hs"},
    {"--sample", "sample", SettingFlag::real},
    {"--min-count", "min_count", SettingFlag::integer},
    {"--epochs", "epochs", SettingFlag::integer},
    {"--lr", "lr", SettingFlag::real},
    {"--cbow-sum", "cbow_mean", SettingFlag::off, "no --cbow-sum"},
    {"--shared-negatives", "shared_negatives", SettingFlag::on, "--no-shared-negatives"},
    {"--threads", "threads", SettingFlag::integer},
    {"--seed", "seed", SettingFlag::integer},
    {"--negative-power", "negative_power", SettingFlag::real},
    {"--minn", "minn", SettingFlag::integer},
    {"--maxn", "maxn", SettingFlag::integer},
    {"--buckets", "buckets", SettingFlag::integer},
    {"--gensim-input-scale", "gensim_input_scale", SettingFlag::on, "--no-gensim-input-scale"},
    {"--update-per-prediction", "update_per_prediction", SettingFlag::on, "no --update-per-prediction"},
};

/// Settings no flag of its own sets: the architecture comes from --model (compared on its own);
/// the others keep the library's defaults on the command line.
inline const char* const kSettingsWithoutFlag[] = {"architecture", "min_lr_ratio", "init_scale"};

}  // namespace embedkit::cli
