#pragma once

#include "echo_book.h"

#include <cstddef>
#include <vector>

namespace le {

// Cuts a byte stream of echoes back into messages, for the engines whose receives hand over
// whatever has arrived (io_uring's multishot receive, libuv's read callback) rather than reading
// an exact count. A message's size is the one the book has for its sequence number. A message that
// lies whole in one chunk goes to the book from there; only one split across chunks is copied
// (into a buffer sized once for the largest payload).
class EchoStream {
public:
    explicit EchoStream(EchoBook& book);

    // Books every message `data` completes, as received at `now`. Returns false when the stream is
    // out of sync (a header names no outstanding message); what follows can no longer be framed.
    bool feed(const std::byte* data, std::size_t n, Nanos now) noexcept;

private:
    // Starts a message whose first kSequenceBytes are at `header`; false when it is unknown.
    bool begin(const std::byte* header) noexcept;

    EchoBook& m_book;
    std::vector<std::byte> m_message;
    std::size_t m_have = 0; // bytes of the current message in m_message
    std::size_t m_want = 0; // its size, once its header is complete
};

} // namespace le
