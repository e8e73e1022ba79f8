#pragma once

#include "echo_book.h"

#include <cstddef>
#include <string>
#include <vector>

namespace le {

// Cuts a byte stream of echoes back into messages, for the engines whose receives hand over
// whatever has arrived (io_uring's multishot receive, libuv's read callback) rather than reading
// an exact count. A message's size is the one the book has for its sequence number. A message that
// lies whole in one chunk goes to the book from there; only one split across chunks is copied
// (into a buffer sized once for the largest payload).
class EchoStream {
public:
    // `closed_loop`: one message in flight, so anything but its echo (a duplicate, an echo of the
    // wrong length) means the stream is out of sync, as the other engines judge it.
    EchoStream(EchoBook& book, bool closed_loop);

    // Books every message `data` completes, as received at `now`. Returns false when the stream is
    // out of sync (a header names no outstanding message, or closed loop got another echo than the
    // one it waits for); what follows can no longer be framed, and error() says why.
    // `split`: where the time of a message this chunk completes went (closed loop with the kernel
    // split: the stamps of the read that completes it).
    bool feed(const std::byte* data, std::size_t n, Nanos now, const SplitSample& split = {}) noexcept;
    const std::string& error() const noexcept { return m_error; }

private:
    // Starts a message whose first kSequenceBytes are at `header`; false when it is unknown.
    bool begin(const std::byte* header) noexcept;

    // Books one whole message; false when closed loop finds the stream out of sync.
    bool book(const std::byte* message, std::size_t size, Nanos now, const SplitSample& split) noexcept;

    EchoBook& m_book;
    const bool m_closed_loop;
    std::string m_error;
    std::vector<std::byte> m_message;
    std::size_t m_have = 0; // bytes of the current message in m_message
    std::size_t m_want = 0; // its size, once its header is complete
};

} // namespace le
