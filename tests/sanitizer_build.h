#pragma once

// Sanitizers slow code 2-15x (TSan most). A test may stretch a figure that only holds at full speed
// (a deadline, a pacing tolerance) by kSanitizerSlowdown, or skip that one assertion with a reason,
// only under LE_SANITIZER_BUILD; the normal build checks every figure as written.
#if defined(LE_TSAN_BUILD)
inline constexpr int kSanitizerSlowdown = 10;
inline constexpr bool kSanitizerBuild = true;
#elif defined(LE_SANITIZER_BUILD)
inline constexpr int kSanitizerSlowdown = 3;
inline constexpr bool kSanitizerBuild = true;
#else
inline constexpr int kSanitizerSlowdown = 1;
inline constexpr bool kSanitizerBuild = false;
#endif
