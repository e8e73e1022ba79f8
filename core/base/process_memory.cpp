#include "process_memory.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace le {

void tune_malloc_for_long_runs(int arenas) {
#if defined(__GLIBC__)
    if (arenas >= 1)
        ::mallopt(M_ARENA_MAX, arenas);
    // A fixed threshold also turns off glibc's adaptive one, which rises to whatever size was last
    // freed (up to 32 MiB) and from then on keeps such blocks in the heap.
    ::mallopt(M_MMAP_THRESHOLD, 256 * 1024);
#else
    (void)arenas;
#endif
}

bool release_free_memory() {
#if defined(__GLIBC__)
    return ::malloc_trim(0) == 1;
#else
    return false;
#endif
}

} // namespace le
