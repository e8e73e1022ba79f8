#include "thread_priority.h"

#include <sys/resource.h>

#include <cerrno>

namespace le {

int thread_nice() {
    errno = 0; // -1 is a valid nice value: only errno tells a failure apart
    const int nice = getpriority(PRIO_PROCESS, 0);
    return errno == 0 ? nice : 0;
}

bool set_thread_nice(int nice) {
    // PRIO_PROCESS with id 0 is the calling thread on Linux (its thread id), not the whole process.
    return setpriority(PRIO_PROCESS, 0, nice) == 0;
}

} // namespace le
