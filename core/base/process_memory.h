#pragma once

namespace le {

// Memory of a long-running process whose threads and buffers come and go. The window runs for
// hours, makes new worker threads at every data-path restart (engine, transport, tasks, a Compare
// or a Sweep) and reallocates megabyte paint buffers as plots resize. Measured in soak_window, the
// heap in use stayed flat while what glibc's malloc held grew by ~11 MB in the first minute: its
// per-thread arenas keep what they once held, and its adaptive mmap threshold moves freed large
// buffers into the heap, where they fragment. Both functions are glibc-only, no-ops elsewhere.

// Sets malloc up for a long run: at most `arenas` (>= 1) arenas for threads created after the
// call, and blocks of 256 KiB and more always mapped apart (so that freeing one gives it back).
// The measured threads do not allocate per message, so sharing an arena costs the measurement
// nothing. Call it once, early, before the threads start.
void tune_malloc_for_long_runs(int arenas);

// Hands the free pages malloc holds back to the system (malloc_trim). Takes a few milliseconds
// on a heap of tens of MB: call it from a timer on a thread that can afford that, never from a
// measured thread. Returns true when some memory was released.
bool release_free_memory();

} // namespace le
