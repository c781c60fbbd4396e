#pragma once

// Transparent huge pages for the large parameter matrices. The trainers read rows of tables of
// tens to hundreds of megabytes at random; with 4 KiB pages nearly every such read also misses
// the TLB (a few thousand entries cover ~12 MiB) and waits for a page walk. With 2 MiB pages the
// whole table fits in the TLB. Where the kernel only gives huge pages on request
// (/sys/kernel/mm/transparent_hugepage/enabled = madvise, Debian's default), this asks for them.

#include <cstddef>
#include <cstdint>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace embedkit::detail {

/// Asks the kernel to back the 2 MiB-aligned part of [data, data + bytes) with huge pages, now
/// (MADV_COLLAPSE, Linux 6.1+) and for pages faulted later (MADV_HUGEPAGE). A hint: it changes
/// speed, never results, and is silently skipped where unsupported or refused. Defining
/// EMBEDKIT_NO_HUGE_PAGES turns it off.
inline void advise_huge_pages(void* data, std::size_t bytes) noexcept {
#if defined(__linux__) && defined(MADV_HUGEPAGE) && !defined(EMBEDKIT_NO_HUGE_PAGES)
    constexpr std::uintptr_t kHuge = std::uintptr_t{2} << 20;
    const auto begin = reinterpret_cast<std::uintptr_t>(data);
    const std::uintptr_t first = (begin + kHuge - 1) & ~(kHuge - 1);
    const std::uintptr_t last = (begin + bytes) & ~(kHuge - 1);
    if (data == nullptr || last <= first) return;
    void* region = reinterpret_cast<void*>(first);
    const std::size_t length = last - first;
    (void)madvise(region, length, MADV_HUGEPAGE);
#if defined(MADV_COLLAPSE)
    (void)madvise(region, length, MADV_COLLAPSE);
#else
    (void)madvise(region, length, 25);  // MADV_COLLAPSE, when the C library's headers predate it
#endif
#else
    (void)data;
    (void)bytes;
#endif
}

}  // namespace embedkit::detail
