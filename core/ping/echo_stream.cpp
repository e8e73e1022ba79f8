#include "echo_stream.h"

#include "wire.h"

#include <algorithm>
#include <cstring>

namespace le {

EchoStream::EchoStream(EchoBook& book, bool closed_loop)
    : m_book(book)
    , m_closed_loop(closed_loop)
    , m_message(kMaxPayload) {}

bool EchoStream::begin(const std::byte* header) noexcept {
    m_want = m_book.expected_size(read_sequence(header));
    if (m_want >= kSequenceBytes)
        return true;
    m_error = closed_stream_echo_error(EchoBook::Echo::Stray);
    return false;
}

bool EchoStream::book(const std::byte* message, std::size_t size, Nanos now,
                      const SplitSample& split) noexcept {
    const EchoBook::Echo echo = m_book.echo(message, size, now, split);
    if (!m_closed_loop)
        return true;
    m_error = closed_stream_echo_error(echo); // the failure path only: allocation is fine there
    return m_error.empty();
}

bool EchoStream::feed(const std::byte* data, std::size_t n, Nanos now, const SplitSample& split) noexcept {
    while (n > 0) {
        if (m_have == 0 && n >= kSequenceBytes) {
            if (!begin(data))
                return false;
            if (n >= m_want) { // whole in this chunk: no copy
                if (!book(data, m_want, now, split))
                    return false;
                data += m_want;
                n -= m_want;
                continue;
            }
        }
        if (m_have < kSequenceBytes) {
            const std::size_t take = std::min(n, kSequenceBytes - m_have);
            std::memcpy(m_message.data() + m_have, data, take);
            m_have += take;
            data += take;
            n -= take;
            if (m_have < kSequenceBytes)
                return true;
            if (!begin(m_message.data()))
                return false;
        }
        const std::size_t take = std::min(n, m_want - m_have);
        std::memcpy(m_message.data() + m_have, data, take);
        m_have += take;
        data += take;
        n -= take;
        if (m_have == m_want) {
            m_have = 0;
            if (!book(m_message.data(), m_want, now, split))
                return false;
        }
    }
    return true;
}

} // namespace le
