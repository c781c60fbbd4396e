#pragma once

// The harness of the MPI tests, which CTest runs under mpirun (tests/CMakeLists.txt). A plain
// main, not Catch2: every rank runs every check, a failed check prints "rank R: FAILED ..." on
// stderr, the ranks add up their failures with MPI_Allreduce, rank 0 prints the summary, and
// every rank returns non-zero when any rank failed. A rank left waiting in a collective is caught
// by the test's TIMEOUT.

#include <embedkit/mpi/communicator.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <stdexcept>
#include <string>

namespace embedkit::testing {

inline int g_rank = 0;
inline int g_checks = 0;
inline int g_failures = 0;

inline void check(bool ok, const std::string& what) {
    ++g_checks;
    if (ok) return;
    ++g_failures;
    std::cerr << "rank " << g_rank << ": FAILED " << what << std::endl;
}

inline void write_text(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + path);
}

/// The message of what `f` throws; a failed check when it does not throw.
inline std::string message_of_throw(const std::function<void()>& f, const std::string& what) {
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    check(false, what + ": did not throw");
    return "";
}

/// Every rank takes part in a collective that completes: none is left behind in another.
inline void check_in_step(const mpi::Communicator& comm, const std::string& when) {
    const int one_each = 1;
    int sum = 0;
    comm.check(MPI_Allreduce(&one_each, &sum, 1, MPI_INT, MPI_SUM, comm.native()), "MPI_Allreduce");
    check(sum == comm.size(), "the ranks are out of step " + when);
}

/// A directory rank 0 creates, named on every rank.
inline std::string shared_dir(const mpi::Communicator& comm) {
    std::string dir;
    if (comm.rank() == 0) {
        std::string pattern = (std::filesystem::temp_directory_path() / "embedkit_mpi_XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        dir = pattern;
    }
    comm.broadcast(dir, 0);
    return dir;
}

/// main() of an MPI test program: runs `tests(comm, dir)` on every rank with a fresh shared
/// directory, then sums the failures. An unexpected exception aborts every rank.
inline int run_mpi_tests(int argc, char** argv, const char* name,
                         const std::function<void(const mpi::Communicator&, const std::string&)>& tests) {
    mpi::Environment environment(argc, argv);
    int failures = 0;
    int size = 0;
    {
        const mpi::Communicator comm;
        g_rank = comm.rank();
        size = comm.size();
        std::string dir;
        try {
            dir = shared_dir(comm);
            tests(comm, dir);
        } catch (const std::exception& e) {
            // An unexpected exception on one rank may leave the others waiting: abort them all.
            std::cerr << "rank " << g_rank << ": unexpected exception: " << e.what() << std::endl;
            MPI_Abort(MPI_COMM_WORLD, 2);
        }
        comm.check(MPI_Allreduce(&g_failures, &failures, 1, MPI_INT, MPI_SUM, comm.native()), "MPI_Allreduce");
        int checks = 0;
        comm.check(MPI_Allreduce(&g_checks, &checks, 1, MPI_INT, MPI_SUM, comm.native()), "MPI_Allreduce");
        comm.barrier();
        if (g_rank == 0) {
            std::error_code ignored;
            std::filesystem::remove_all(dir, ignored);
            std::printf("%s: %d checks on %d ranks, %d failed\n", name, checks, size, failures);
        }
    }
    return failures == 0 ? 0 : 1;
}

}  // namespace embedkit::testing
