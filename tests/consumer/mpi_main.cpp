// A downstream MPI program built against embedkit::mpi (built by the packaging tests, not run):
// `mpirun -np N embedkit_mpi_consumer corpus.txt` prints the vocabulary size on rank 0.

#include <embedkit/mpi/communicator.hpp>
#include <embedkit/mpi/distributed_vocab.hpp>

#include <cstdio>
#include <exception>

int main(int argc, char** argv) {
    embedkit::mpi::Environment environment(argc, argv);
    const embedkit::mpi::Communicator comm;
    if (argc < 2) return 2;
    try {
        const embedkit::Vocab vocab = embedkit::mpi::build_vocab_distributed(argv[1], {}, comm);
        if (comm.rank() == 0) std::printf("%zu words\n", vocab.size());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "rank %d: %s\n", comm.rank(), e.what());
        return 1;
    }
    return 0;
}
