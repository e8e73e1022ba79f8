#include "uring_recv.h"

#include <cerrno>
#include <sys/mman.h>

namespace le {
namespace {

std::size_t ring_bytes(unsigned entries) {
    return entries * sizeof(io_uring_buf);
}

} // namespace

UringRecv::UringRecv(UringLoop& loop, int fd, bool stream, std::size_t buffer_size, Sink& sink)
    : m_loop(loop)
    , m_fd(fd)
    , m_stream(stream)
    , m_size(buffer_size)
    , m_sink(sink) {
    void* mem =
        mmap(nullptr, ring_bytes(kBuffers), PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (mem != MAP_FAILED) {
        auto* br = static_cast<io_uring_buf_ring*>(mem);
        io_uring_buf_ring_init(br);
        io_uring_buf_reg reg{};
        reg.ring_addr = reinterpret_cast<std::uint64_t>(mem);
        reg.ring_entries = kBuffers;
        reg.bgid = kGroup;
        if (io_uring_register_buf_ring(&m_loop.ring(), &reg, 0) == 0) {
            m_buf_ring = br;
        } else {
            munmap(mem, ring_bytes(kBuffers));
        }
    }
    m_buffers.resize(m_size * (multishot() ? kBuffers : 1));
    if (multishot()) {
        for (unsigned bid = 0; bid < kBuffers; ++bid)
            io_uring_buf_ring_add(m_buf_ring, m_buffers.data() + bid * m_size, static_cast<unsigned>(m_size),
                                  static_cast<unsigned short>(bid), io_uring_buf_ring_mask(kBuffers),
                                  static_cast<int>(bid));
        io_uring_buf_ring_advance(m_buf_ring, kBuffers);
    }
}

UringRecv::~UringRecv() {
    // The ring is closed first by the engine (UringLoop::close), which also drops the registration.
    if (m_buf_ring)
        munmap(m_buf_ring, ring_bytes(kBuffers));
}

void UringRecv::start() {
    arm();
}

void UringRecv::arm() {
    io_uring_sqe* s = m_loop.sqe(*this);
    if (multishot()) {
        io_uring_prep_recv_multishot(s, m_fd, nullptr, 0, 0);
        s->flags |= IOSQE_BUFFER_SELECT;
        s->buf_group = kGroup;
    } else {
        io_uring_prep_recv(s, m_fd, m_buffers.data(), m_size, 0);
    }
}

void UringRecv::give_back(unsigned bid) {
    io_uring_buf_ring_add(m_buf_ring, m_buffers.data() + bid * m_size, static_cast<unsigned>(m_size),
                          static_cast<unsigned short>(bid), io_uring_buf_ring_mask(kBuffers), 0);
    io_uring_buf_ring_advance(m_buf_ring, 1);
}

void UringRecv::complete(int res, unsigned flags) {
    const bool more = multishot() && (flags & IORING_CQE_F_MORE);
    if (res == -ENOBUFS) { // every buffer was in use at once: they are all back by now
        if (!more && !m_stopped)
            arm();
        return;
    }
    if (res < 0 || (res == 0 && m_stream)) {
        if (flags & IORING_CQE_F_BUFFER)
            give_back(flags >> IORING_CQE_BUFFER_SHIFT);
        if (res != -ECANCELED && !m_stopped)
            m_sink.receive_failed(res == 0 ? 0 : -res);
        return;
    }
    const std::byte* data = m_buffers.data();
    if (flags & IORING_CQE_F_BUFFER)
        data += (flags >> IORING_CQE_BUFFER_SHIFT) * m_size;
    m_sink.received(data, static_cast<std::size_t>(res));
    if (flags & IORING_CQE_F_BUFFER)
        give_back(flags >> IORING_CQE_BUFFER_SHIFT);
    if (!more && !m_stopped)
        arm();
}

} // namespace le
