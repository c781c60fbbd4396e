#pragma once

// The MPI communicator embedkit's distributed code runs over: rank and size, MPI errors as
// exceptions naming the rank, and `collectively`, which makes a step that may fail on one rank
// fail on every rank (so that no rank waits forever in the next collective). Only for users of
// the optional CMake target embedkit::mpi; nothing outside mpi/ includes this.

#include "embedkit/errors.hpp"

#include <mpi.h>

#include <climits>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace embedkit::mpi {

/// An MPI call returned an error. The message names the call and the rank.
class mpi_error : public error {
public:
    mpi_error(int rank, const std::string& what) : error(what), rank_(rank) {}
    /// The rank the call failed on (-1 when MPI was not initialised).
    [[nodiscard]] int rank() const noexcept { return rank_; }

private:
    int rank_;
};

/// Thrown on the ranks that did not fail when another rank failed a step all ranks take together
/// (see `collectively`): "rank R of N: <that rank's message>".
class rank_error : public error {
public:
    rank_error(int rank, int size, const std::string& message)
        : error("rank " + std::to_string(rank) + " of " + std::to_string(size) + ": " + message), rank_(rank),
          message_(message) {}
    /// The lowest rank that failed.
    [[nodiscard]] int rank() const noexcept { return rank_; }
    /// That rank's own message (its exception's what()).
    [[nodiscard]] const std::string& rank_message() const noexcept { return message_; }

private:
    int rank_;
    std::string message_;
};

namespace detail {

[[nodiscard]] inline std::string error_string(int code) {
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) return "MPI error " + std::to_string(code);
    return std::string(text, static_cast<std::size_t>(length));
}

[[nodiscard]] inline std::string message_of(const std::exception_ptr& failure) {
    try {
        std::rethrow_exception(failure);
    } catch (const std::exception& e) {
        return e.what();
    } catch (...) {
        return "an exception not derived from std::exception";
    }
}

}  // namespace detail

/// Throws mpi_error "<call> failed on rank R of N: <MPI's error string>" unless `code` is MPI_SUCCESS.
inline void check(int code, const char* call, int rank, int size) {
    if (code == MPI_SUCCESS) return;
    throw mpi_error(rank, std::string(call) + " failed on rank " + std::to_string(rank) + " of " +
                              std::to_string(size) + ": " + detail::error_string(code));
}

/// Initialises MPI (MPI_Init_thread) unless it already is, and finalises it on destruction if it
/// initialised it. One per process, in main, before any Communicator:
///
///     int main(int argc, char** argv) { embedkit::mpi::Environment env(argc, argv); ... }
class Environment {
public:
    /// MPI_THREAD_SERIALIZED by default: a distributed trainer's ranks meet from whichever of
    /// their worker threads reaches a meeting last (one at a time).
    Environment(int& argc, char**& argv, int required = MPI_THREAD_SERIALIZED) {
        int initialised = 0;
        MPI_Initialized(&initialised);
        if (initialised != 0) {
            MPI_Query_thread(&provided_);
            return;
        }
        check(MPI_Init_thread(&argc, &argv, required, &provided_), "MPI_Init_thread", -1, 0);
        owns_ = true;
    }
    Environment(const Environment&) = delete;
    Environment& operator=(const Environment&) = delete;
    ~Environment() {
        int finalised = 0;
        MPI_Finalized(&finalised);
        if (owns_ && finalised == 0) MPI_Finalize();
    }

    /// The thread level MPI provides (MPI_THREAD_SINGLE ... MPI_THREAD_MULTIPLE).
    [[nodiscard]] int thread_level() const noexcept { return provided_; }

private:
    int provided_ = MPI_THREAD_SINGLE;
    bool owns_ = false;
};

/// A duplicate of an MPI communicator (MPI_COMM_WORLD by default) whose errors are returned, not
/// fatal, and thrown as mpi_error naming the rank. Our messages never mix with the caller's on
/// the parent communicator. Constructing and destroying one is collective over the parent.
class Communicator {
public:
    explicit Communicator(MPI_Comm parent = MPI_COMM_WORLD) {
        int initialised = 0;
        MPI_Initialized(&initialised);
        if (initialised == 0) {
            throw mpi_error(-1, "embedkit::mpi::Communicator: MPI is not initialised (create an mpi::Environment first)");
        }
        mpi::check(MPI_Comm_dup(parent, &comm_), "MPI_Comm_dup", -1, 0);
        mpi::check(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler", -1, 0);
        mpi::check(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank", -1, 0);
        mpi::check(MPI_Comm_size(comm_, &size_), "MPI_Comm_size", rank_, 0);
    }
    Communicator(const Communicator&) = delete;
    Communicator& operator=(const Communicator&) = delete;
    Communicator(Communicator&& other) noexcept
        : comm_(std::exchange(other.comm_, MPI_COMM_NULL)), rank_(other.rank_), size_(other.size_) {}
    Communicator& operator=(Communicator&& other) noexcept {
        if (this != &other) {
            free();
            comm_ = std::exchange(other.comm_, MPI_COMM_NULL);
            rank_ = other.rank_;
            size_ = other.size_;
        }
        return *this;
    }
    ~Communicator() { free(); }

    [[nodiscard]] int rank() const noexcept { return rank_; }
    [[nodiscard]] int size() const noexcept { return size_; }
    [[nodiscard]] MPI_Comm native() const noexcept { return comm_; }

    /// Throws mpi_error naming `call` and this rank unless `code` is MPI_SUCCESS.
    void check(int code, const char* call) const { mpi::check(code, call, rank_, size_); }

    void barrier() const { check(MPI_Barrier(comm_), "MPI_Barrier"); }

    /// Collective. Every rank passes its outcome of a step: null when it succeeded, else the
    /// exception it caught. Returns on every rank when all succeeded; otherwise every rank throws:
    /// a rank that failed rethrows its own exception, the others throw rank_error with the message
    /// of the lowest rank that failed.
    void agree(const std::exception_ptr& failure) const {
        const int mine = failure ? rank_ : size_;
        int first = size_;
        check(MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm_), "MPI_Allreduce");
        if (first == size_) return;
        std::string message;
        if (rank_ == first) message = detail::message_of(failure);
        broadcast(message, first);
        if (failure) std::rethrow_exception(failure);
        throw rank_error(first, size_, message);
    }

    /// Collective. Sends `bytes` of rank `root` to every rank (the others' `bytes` are replaced).
    void broadcast(std::string& bytes, int root) const {
        std::uint64_t length = bytes.size();
        check(MPI_Bcast(&length, 1, MPI_UINT64_T, root, comm_), "MPI_Bcast");
        if (length > static_cast<std::uint64_t>(INT_MAX)) {
            throw invalid_argument("embedkit::mpi::Communicator::broadcast: " + std::to_string(length) +
                                   " bytes is more than one message of 2^31-1 bytes");
        }
        bytes.resize(static_cast<std::size_t>(length));
        check(MPI_Bcast(bytes.data(), static_cast<int>(length), MPI_BYTE, root, comm_), "MPI_Bcast");
    }

    /// Collective. Every rank's `bytes`, in rank order, on every rank. invalid_argument (on every
    /// rank) when all of them together exceed 2^31-1 bytes.
    [[nodiscard]] std::vector<std::string> all_gather(const std::string& bytes) const {
        const std::uint64_t mine = bytes.size();
        std::vector<std::uint64_t> sizes(static_cast<std::size_t>(size_));
        check(MPI_Allgather(&mine, 1, MPI_UINT64_T, sizes.data(), 1, MPI_UINT64_T, comm_), "MPI_Allgather");
        std::vector<int> counts(sizes.size());
        std::vector<int> offsets(sizes.size());
        std::uint64_t total = 0;
        for (std::size_t r = 0; r < sizes.size(); ++r) {
            if (sizes[r] > static_cast<std::uint64_t>(INT_MAX) - total) {
                throw invalid_argument("embedkit::mpi::Communicator::all_gather: the ranks' data is more than "
                                       "one message of 2^31-1 bytes");
            }
            counts[r] = static_cast<int>(sizes[r]);
            offsets[r] = static_cast<int>(total);
            total += sizes[r];
        }
        std::string all(static_cast<std::size_t>(total), '\0');
        check(MPI_Allgatherv(bytes.data(), static_cast<int>(mine), MPI_BYTE, all.data(), counts.data(), offsets.data(),
                             MPI_BYTE, comm_),
              "MPI_Allgatherv");
        std::vector<std::string> parts;
        parts.reserve(sizes.size());
        for (std::size_t r = 0; r < sizes.size(); ++r) {
            parts.emplace_back(all, static_cast<std::size_t>(offsets[r]), static_cast<std::size_t>(counts[r]));
        }
        return parts;
    }

private:
    void free() noexcept {
        if (comm_ == MPI_COMM_NULL) return;
        int finalised = 0;
        MPI_Finalized(&finalised);
        if (finalised == 0) MPI_Comm_free(&comm_);
        comm_ = MPI_COMM_NULL;
    }

    MPI_Comm comm_ = MPI_COMM_NULL;
    int rank_ = 0;
    int size_ = 1;
};

/// Runs `step` on this rank, then agrees with the others (Communicator::agree): returns its result
/// when it succeeded on every rank, and throws on every rank when it failed on any. Every rank
/// must call it, so bad input on one rank (a missing file, an unreadable range) stops all ranks
/// with that rank's message instead of leaving the others waiting in the next collective.
template <class Step>
auto collectively(const Communicator& comm, Step&& step) {
    using Result = std::invoke_result_t<Step&>;
    std::exception_ptr failure;
    if constexpr (std::is_void_v<Result>) {
        try {
            step();
        } catch (...) {
            failure = std::current_exception();
        }
        comm.agree(failure);
    } else {
        std::optional<Result> result;
        try {
            result.emplace(step());
        } catch (...) {
            failure = std::current_exception();
        }
        comm.agree(failure);
        return std::move(*result);
    }
}

}  // namespace embedkit::mpi
