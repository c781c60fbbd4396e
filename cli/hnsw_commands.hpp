#pragma once

// What other commands use of the HNSW commands (cli/index.cpp). hnswlib 0.6's headers define
// non-inline functions and variables, so only one file of a program may include them: every use
// of HnswIndex in the CLI lives in index.cpp, and the others call it through this header.

#include <string>
#include <vector>

namespace embedkit::cli {

/// `embedkit nn --index`: the neighbours of each word of the index (its own row, excluded from its
/// results), printed as `embedkit nn --vectors` prints them.
void print_index_neighbours(const std::string& index_path, const std::vector<std::string>& words, long k,
                            unsigned threads);

}  // namespace embedkit::cli
