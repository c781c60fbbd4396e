// embedkit: train, query and evaluate embeddings from the command line.

#include "command.hpp"
#include "mpi_world.hpp"
#include "stop_signals.hpp"

#include <embedkit/errors.hpp>
#include <embedkit/version.hpp>

#include <fmt/core.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <optional>
#include <string>

int main(int argc, char** argv) {
    // Past a file-size limit (ulimit -f) a write should fail with EFBIG and be reported like a
    // full disk, not kill the process with SIGXFSZ.
    std::signal(SIGXFSZ, SIG_IGN);
#ifdef EMBEDKIT_CLI_WITH_MPI
    // Under mpirun every rank runs this same command line; train and cooccur split their input.
    // The trainers' MPI calls come from whichever worker thread reaches a meeting last.
    std::optional<embedkit::mpi::Environment> mpi;
    struct LeaveWorld {
        ~LeaveWorld() { embedkit::cli::MpiWorld::instance().leave(); }
    } leave_world_before_finalize;
    if (embedkit::cli::started_by_mpirun()) {
        try {
            mpi.emplace(argc, argv, MPI_THREAD_SERIALIZED);
            if (mpi->thread_level() < MPI_THREAD_SERIALIZED) {
                fmt::print(stderr, "embedkit: error: this MPI does not support MPI_THREAD_SERIALIZED\n");
                return 1;
            }
            embedkit::cli::MpiWorld::instance().join();
        } catch (const embedkit::error& e) {
            fmt::print(stderr, "embedkit: error: {}\n", e.what());
            return 1;
        }
    }
#endif
    CLI::App app{"embedkit " EMBEDKIT_VERSION_STRING ": train, query and evaluate embeddings"};
    app.set_version_flag("--version", EMBEDKIT_VERSION_STRING);
    app.require_subcommand(1);
    for (auto setup : embedkit::cli::command_registry()) setup(app);
    try {
        app.parse(argc, argv);
        // Flush what is still buffered now, so that a failed write (a full disk) is reported.
        if (std::fflush(stdout) != 0) {
            throw embedkit::io_error("<stdout>", std::string("write failed: ") + std::strerror(errno));
        }
    } catch (const embedkit::cli::Exit& e) {
        return e.status;
    } catch (const CLI::ParseError& e) {
        // --help and --version are "errors" with status 0; every usage error exits 1, like any
        // other bad input (CLI11's own codes, 104 to 114, would tell scripts nothing more).
        return app.exit(e) == 0 ? 0 : 1;
    } catch (const embedkit::error& e) {
        if (embedkit::cli::print_error_here(e)) fmt::print(stderr, "embedkit: error: {}\n", e.what());
        return 1;
    } catch (const std::bad_alloc&) {
        fmt::print(stderr, "embedkit: error: out of memory\n");
        return 1;
    } catch (const std::exception& e) {
        fmt::print(stderr, "embedkit: error: {}\n", e.what());
        return 1;
    }
    return 0;
}
