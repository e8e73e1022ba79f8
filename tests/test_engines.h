#pragma once

#include "engine_kind.h"
#include "sanitizer_build.h"

#include <array>
#include <span>

// The engines the data-driven suites run every row for. The normal build: all of them. Under the
// sanitizers (2-10x slower, and CI runs both passes after the normal suite within its time limit):
// one engine per code path, since asio-pool, uring-sqpoll and asio-uring run the same ping and pong
// code as asio and uring (a thread count, a ring flag, a backend); the normal build covers them.
inline constexpr std::array kSanitizerEngines{le::EngineKind::Blocking, le::EngineKind::Asio,
                                              le::EngineKind::Spin, le::EngineKind::Uring,
                                              le::EngineKind::Libuv};
inline constexpr std::span<const le::EngineKind> kTestEngines =
    kSanitizerBuild ? std::span<const le::EngineKind>(kSanitizerEngines)
                    : std::span<const le::EngineKind>(le::kAllEngines);
