#pragma once

#include "clock.h"

#include <cstdint>
#include <uv.h>

namespace le {

// uv_loop_init for the libuv engines, throwing std::runtime_error ("uv_loop_init: too many open
// files", ...) when it fails. libuv's process-wide first-time set-up (1.44: the signal pipe made in
// a uv_once, after the loop's epoll descriptor) calls abort() when it cannot get two descriptors;
// until a loop has been made, four are tried here first, so running out of descriptors is a clear
// error and not a crash.
void init_uv_loop(uv_loop_t& loop);

// For a libuv loop's thread, first thing: libuv writes with write(2), not send(MSG_NOSIGNAL), so a
// vanished peer would raise SIGPIPE and kill the process. Blocked on that thread, it stays pending
// there harmlessly and the write fails with EPIPE instead, which is what the other engines see.
void block_sigpipe_on_this_thread();

// Any uv handle type as the uv_handle_t it starts with (what uv_close and friends take).
inline uv_handle_t* as_handle(void* handle) {
    return static_cast<uv_handle_t*>(handle);
}

// The wait of a one-shot timer that must not fire before `due` (monotonic ns, the clock of
// now_ns() and of uv_now): whole milliseconds from the loop's cached time, rounded up so a hold never
// ends early, and at least 1 so the timer does not run again in the round of timers that armed it.
// The loop's time is not refreshed (see uv_tasks.cpp).
std::uint64_t timer_ms(uv_loop_t* loop, Nanos due);

} // namespace le
