#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace le {

// The data plane is a plain echo: ping sends `payload` bytes whose first 8 carry the sequence
// number (little-endian), the pong returns them unchanged. Nothing else is framed, so any standard
// echo service is a valid peer.
inline constexpr std::size_t kSequenceBytes = 8;
// The connection probe's sequence number (PingSession, before the engine starts): never a message's.
// A datagram probe is asked again when slow, so its echo may come once the run has begun.
inline constexpr std::uint64_t kProbeSequence = UINT64_MAX;

inline void write_sequence(std::byte* message, std::uint64_t seq) noexcept {
    if constexpr (std::endian::native == std::endian::big)
        seq = __builtin_bswap64(seq);
    std::memcpy(message, &seq, sizeof(seq));
}

inline std::uint64_t read_sequence(const std::byte* message) noexcept {
    std::uint64_t seq;
    std::memcpy(&seq, message, sizeof(seq));
    if constexpr (std::endian::native == std::endian::big)
        seq = __builtin_bswap64(seq);
    return seq;
}

// Fills the bytes after the sequence number with a recognisable pattern, once per buffer.
inline void fill_pattern(std::byte* message, std::size_t size) noexcept {
    for (std::size_t i = kSequenceBytes; i < size; ++i)
        message[i] = static_cast<std::byte>('a' + i % 26);
}

// --verify-payload: the bytes after the sequence number derived from it (a 64-bit LCG seeded by it),
// so that an echo whose payload changed on the way is told from a faithful one. O(size) per message.
inline void fill_sequence_pattern(std::byte* message, std::size_t size, std::uint64_t seq) noexcept {
    std::uint64_t x = seq * 0x9E3779B97F4A7C15ULL + 0x632BE59BD9B4E019ULL;
    for (std::size_t i = kSequenceBytes; i < size; ++i) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        message[i] = static_cast<std::byte>(x >> 56);
    }
}
inline bool has_sequence_pattern(const std::byte* message, std::size_t size, std::uint64_t seq) noexcept {
    std::uint64_t x = seq * 0x9E3779B97F4A7C15ULL + 0x632BE59BD9B4E019ULL;
    for (std::size_t i = kSequenceBytes; i < size; ++i) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        if (message[i] != static_cast<std::byte>(x >> 56))
            return false;
    }
    return true;
}

} // namespace le
