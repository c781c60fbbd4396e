#pragma once

// Whether this CLI process is one of several MPI ranks, and its world communicator if so. A
// minimal stand-in (issue 18) until the shared helper lands in main: `MpiSession` in main()
// initialises MPI only when the process was started by mpirun/mpiexec (so a plain `embedkit ...`
// never touches MPI), and `mpi_world()` returns the world communicator when there is more than
// one rank. Without embedkit::mpi (EMBEDKIT_CLI_WITH_MPI undefined) everything here says "one
// process".

#include <cstdlib>
#include <exception>

#ifdef EMBEDKIT_CLI_WITH_MPI
#include <embedkit/mpi/communicator.hpp>

#include <optional>
#endif

namespace embedkit::cli {

#ifdef EMBEDKIT_CLI_WITH_MPI

namespace detail {
inline const mpi::Communicator*& world_slot() {
    static const mpi::Communicator* world = nullptr;
    return world;
}
}  // namespace detail

/// True when a process manager started this process as an MPI rank (Open MPI's mpirun, PMI or
/// PMIx launchers set these variables).
[[nodiscard]] inline bool launched_by_mpirun() {
    for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"}) {
        if (std::getenv(name) != nullptr) return true;
    }
    return false;
}

/// One in main(), before the commands run: MPI and the world communicator while it lives.
class MpiSession {
public:
    MpiSession(int& argc, char**& argv) {
        if (!launched_by_mpirun()) return;
        environment_.emplace(argc, argv);
        world_.emplace();
        if (world_->size() > 1) detail::world_slot() = &*world_;
    }
    MpiSession(const MpiSession&) = delete;
    MpiSession& operator=(const MpiSession&) = delete;
    ~MpiSession() {
        detail::world_slot() = nullptr;
        world_.reset();  // before MPI_Finalize
    }

private:
    std::optional<mpi::Environment> environment_;
    std::optional<mpi::Communicator> world_;
};

/// The world communicator when this process is one of several MPI ranks, else nullptr.
[[nodiscard]] inline const mpi::Communicator* mpi_world() { return detail::world_slot(); }

/// This process's rank (0 when not distributed).
[[nodiscard]] inline int world_rank() { return mpi_world() != nullptr ? mpi_world()->rank() : 0; }

/// Whether main() should print this error: rank 0 prints every error (its own, or another
/// rank's as rank_error "rank R of N: ..."); the other ranks print only their own.
[[nodiscard]] inline bool print_error_here(const std::exception& e) {
    return world_rank() == 0 || dynamic_cast<const mpi::rank_error*>(&e) == nullptr;
}

#else

class MpiSession {
public:
    MpiSession(int&, char**&) {}
};

[[nodiscard]] inline int world_rank() { return 0; }
[[nodiscard]] inline bool print_error_here(const std::exception&) { return true; }

#endif

}  // namespace embedkit::cli
