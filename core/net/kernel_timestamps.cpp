#include "kernel_timestamps.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace le {
namespace {

std::int64_t ns_of(const timespec& t) {
    return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

// Room for SCM_TIMESTAMPING and an extended error; aligned as cmsghdr.
union Control {
    char buf[CMSG_SPACE(sizeof(scm_timestamping)) + CMSG_SPACE(sizeof(sock_extended_err) + 64)];
    cmsghdr align;
};

// A TX stamp from the error queue's control data: true with its key and stamp, false for anything
// else there (an ICMP error, a stamp the kernel left empty).
bool tx_stamp_of(const msghdr& msg, TxStamp& out) noexcept {
    bool timestamping = false;
    out = {};
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(const_cast<msghdr*>(&msg), c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPING) {
            scm_timestamping ts;
            std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
            out.realtime_ns = ns_of(ts.ts[0]);
        } else if ((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
                   (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR)) {
            sock_extended_err e;
            std::memcpy(&e, CMSG_DATA(c), sizeof e);
            timestamping = e.ee_origin == SO_EE_ORIGIN_TIMESTAMPING;
            out.key = e.ee_data;
        }
    }
    return timestamping && out.realtime_ns != 0;
}

} // namespace

StampAbility enable_kernel_timestamps(int fd, Transport transport) {
    StampAbility a;
    if (transport == Transport::Unix) {
        // Checked on Linux 6.x: a unix stream socket gets no SCM_TIMESTAMPING either way, and no
        // SCM_TIMESTAMPNS (only unix datagram sockets have those).
        a.reason = "unix stream sockets get no kernel timestamps (neither TX nor RX): no split";
        return a;
    }
    const unsigned flags = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_TX_SOFTWARE |
                           SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY;
    if (::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof flags) != 0) {
        a.reason = std::string("the kernel refused SO_TIMESTAMPING: ") + std::strerror(errno);
        return a;
    }
    a.tx = a.rx = true;
    return a;
}

std::string enable_rx_timestamps(int fd) {
    const unsigned flags = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;
    if (::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof flags) != 0)
        return std::string("the kernel refused SO_TIMESTAMPING: ") + std::strerror(errno);
    return {};
}

std::int64_t rx_stamp_of(const msghdr& msg) noexcept {
    std::int64_t stamp = 0;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(const_cast<msghdr*>(&msg), c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPING) {
            scm_timestamping ts;
            std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
            stamp = ns_of(ts.ts[0]);
        }
    return stamp;
}

std::size_t read_tx_stamps(int fd, TxStamp* out, std::size_t max) noexcept {
    static_assert(sizeof(StampControl) >= sizeof(Control));
    max = std::min(max, kMaxTxStampsPerRead);
    std::array<StampControl, kMaxTxStampsPerRead> control;
    std::array<mmsghdr, kMaxTxStampsPerRead> msgs{};
    char none[kMaxTxStampsPerRead]; // OPT_TSONLY: no packet comes back, only its control data
    std::array<iovec, kMaxTxStampsPerRead> iov;
    for (std::size_t i = 0; i < max; ++i) {
        iov[i] = {&none[i], 1};
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_control = control[i].buf;
        msgs[i].msg_hdr.msg_controllen = sizeof control[i].buf;
    }
    const int n =
        ::recvmmsg(fd, msgs.data(), static_cast<unsigned>(max), MSG_ERRQUEUE | MSG_DONTWAIT, nullptr);
    std::size_t stored = 0;
    for (int i = 0; i < n; ++i)
        if (tx_stamp_of(msgs[i].msg_hdr, out[stored]))
            ++stored;
    return stored;
}

ssize_t recv_stamped(int fd, void* buf, std::size_t n, int flags, std::int64_t& rx_realtime_ns) noexcept {
    return recvfrom_stamped(fd, buf, n, flags, nullptr, nullptr, rx_realtime_ns);
}

ssize_t recvfrom_stamped(int fd, void* buf, std::size_t n, int flags, sockaddr* from, socklen_t* from_len,
                         std::int64_t& rx_realtime_ns) noexcept {
    iovec iov{buf, n};
    Control control;
    msghdr msg{};
    msg.msg_name = from;
    msg.msg_namelen = from_len ? *from_len : 0;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof control.buf;
    const ssize_t r = ::recvmsg(fd, &msg, flags);
    if (from_len && r >= 0)
        *from_len = msg.msg_namelen;
    if (r <= 0)
        return r;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPING) {
            scm_timestamping ts;
            std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
            if (const std::int64_t t = ns_of(ts.ts[0]); t != 0)
                rx_realtime_ns = t;
        }
    return r;
}

std::int64_t take_tx_stamp(int fd, std::uint32_t key) noexcept {
    for (;;) {
        Control control;
        char none;
        iovec iov{&none, sizeof none};
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.buf;
        msg.msg_controllen = sizeof control.buf;
        if (::recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
            return 0; // EAGAIN: the queue is empty
        TxStamp stamp;
        if (tx_stamp_of(msg, stamp) && stamp.key == key)
            return stamp.realtime_ns; // later ones (none in closed loop) stay queued for their own call
    }
}

} // namespace le
