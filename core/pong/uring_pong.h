#pragma once

#include "pong_base.h"

#include <memory>

namespace le {

// The uring engines' pong (uring_pong.cpp): one thread drives one io_uring (with a kernel thread
// polling its submission queue when `sqpoll`). Every listener has a multishot accept pending; each
// connection alternates a receive into its own kPongChunk buffer and the send of what came (the
// back-pressure of the other pongs: a client that does not read is no longer read); each UDP
// endpoint alternates recvmsg and sendmsg; with impairments both hold what they read in a delay
// line released by timeouts (uring_echo.h); the compute tasks are timeouts on the same ring. Throws
// std::runtime_error when the kernel has no usable io_uring.
std::unique_ptr<PongServer> make_uring_pong(const PongConfig& config, bool sqpoll);

} // namespace le
