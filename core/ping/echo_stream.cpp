#include "echo_stream.h"

#include "wire.h"

#include <algorithm>
#include <cstring>

namespace le {

EchoStream::EchoStream(EchoBook& book)
    : m_book(book)
    , m_message(kMaxPayload) {}

bool EchoStream::begin(const std::byte* header) noexcept {
    m_want = m_book.expected_size(read_sequence(header));
    return m_want >= kSequenceBytes;
}

bool EchoStream::feed(const std::byte* data, std::size_t n, Nanos now) noexcept {
    while (n > 0) {
        if (m_have == 0 && n >= kSequenceBytes) {
            if (!begin(data))
                return false;
            if (n >= m_want) { // whole in this chunk: no copy
                m_book.echo(data, m_want, now);
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
            m_book.echo(m_message.data(), m_want, now);
            m_have = 0;
        }
    }
    return true;
}

} // namespace le
