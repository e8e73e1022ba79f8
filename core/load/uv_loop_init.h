#pragma once

#include <uv.h>

namespace le {

// uv_loop_init for the libuv engines, throwing std::runtime_error ("uv_loop_init: too many open
// files", ...) when it fails. libuv's process-wide first-time set-up (1.44: the signal pipe made in
// a uv_once, after the loop's epoll descriptor) calls abort() when it cannot get two descriptors;
// until a loop has been made, four are tried here first, so running out of descriptors is a clear
// error and not a crash.
void init_uv_loop(uv_loop_t& loop);

} // namespace le
