#pragma once

#include "uring_loop.h"

#include <cstddef>
#include <vector>

namespace le {

// A socket's receive on a uring engine's ring, kept pending for the whole run: one multishot receive
// (IORING_OP_RECV with IORING_RECV_MULTISHOT, liburing 2.3, Linux >= 6.0) into a ring of provided
// buffers, so one submission yields a completion per arrival. Where the kernel refuses the buffer
// ring, it falls back to a single-shot receive re-armed after each completion (multishot() says
// which). The buffers are allocated once here; a buffer goes back to the kernel as soon as the
// sink has seen its bytes.
class UringRecv final : public UringOp {
public:
    struct Sink {
        // `n` bytes arrived (for a datagram socket: one datagram, truncated at the buffer size).
        virtual void received(const std::byte* data, std::size_t n) = 0;
        // The receive ended: err 0 when the peer closed the stream, else the errno.
        virtual void receive_failed(int err) = 0;

    protected:
        ~Sink() = default;
    };

    // `buffer_size`: the most one completion carries (one more than the largest datagram).
    UringRecv(UringLoop& loop, int fd, bool stream, std::size_t buffer_size, Sink& sink);
    ~UringRecv();
    UringRecv(const UringRecv&) = delete;
    UringRecv& operator=(const UringRecv&) = delete;

    void start();
    // No more re-arming (the engine is finishing).
    void stop() { m_stopped = true; }
    bool multishot() const { return m_buf_ring != nullptr; }

    void complete(int res, unsigned flags) override;

private:
    void arm();
    void give_back(unsigned bid);

    static constexpr unsigned kBuffers = 16; // a power of two
    static constexpr int kGroup = 1;

    UringLoop& m_loop;
    const int m_fd;
    const bool m_stream;
    const std::size_t m_size;
    Sink& m_sink;
    std::vector<std::byte> m_buffers;
    io_uring_buf_ring* m_buf_ring = nullptr; // mmap'd, registered with the ring
    bool m_stopped = false;
};

} // namespace le
