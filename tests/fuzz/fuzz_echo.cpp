// Echo validation: EchoBook decides for every datagram or stream chunk that comes back whether it is
// the echo of a message in flight (Ok), of one with the wrong length (Bad), a late or duplicate one
// (Late) or not ours (Stray, counted apart), and turns silence into losses. The input drives a sequence of
// sends, echoes (right, wrong length, stale, random bytes), clock steps and loss scans; a plain model of the
// rules says what each call must answer, and the recorded counts must match it exactly:
// sent == received + lost + errors, nothing outstanding after the final scan.
#include "echo_book.h"
#include "wire.h"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <vector>

namespace {

constexpr std::size_t kCapacity = 1024; // the smallest ring; stale sequence numbers wrap sooner
constexpr std::uint32_t kMaxSize = 1 << 20;

[[noreturn]] void fail(const char* what, unsigned long long a, unsigned long long b) {
    std::fprintf(stderr, "echo book disagrees with the model: %s (%llu vs %llu)\n", what, a, b);
    std::abort();
}

void expect(bool ok, const char* what, unsigned long long a = 0, unsigned long long b = 0) {
    if (!ok)
        fail(what, a, b);
}

// The rules of echo_book.h, written the slow and obvious way.
struct Model {
    struct Message {
        le::Nanos from;
        std::uint32_t size;
        bool first;
        bool resolved = false;
    };
    std::map<std::uint64_t, Message> messages; // every message sent, by sequence number
    std::uint64_t next = 0, oldest = 0;
    std::uint64_t sent = 0, received = 0, lost = 0, errors = 0, bytes = 0, first = 0, strays = 0;
    le::Histogram rtt, rtt_first, rtt_rest; // recorded here as the book must have

    // The ring slot of `seq` still holds it: it was sent and not overwritten `kCapacity` sends later.
    bool known(std::uint64_t seq) const { return seq < next && seq + kCapacity >= next; }

    le::EchoBook::Echo echo(std::uint64_t seq, std::size_t size, le::Nanos now) {
        if (size >= le::kSequenceBytes && seq == le::kProbeSequence)
            return le::EchoBook::Echo::Late; // a repeated connection probe
        if (size < le::kSequenceBytes || !known(seq)) {
            strays += next > 0; // counted once counting has begun (at the first message sent)
            return le::EchoBook::Echo::Stray;
        }
        Message& m = messages.at(seq);
        if (m.resolved)
            return le::EchoBook::Echo::Late;
        m.resolved = true;
        if (m.size != size) {
            ++errors;
            return le::EchoBook::Echo::Bad;
        }
        ++received;
        first += m.first;
        rtt.record(now - m.from);
        (m.first ? rtt_first : rtt_rest).record(now - m.from);
        return le::EchoBook::Echo::Ok;
    }

    void expire(le::Nanos now, le::Nanos timeout, bool all) {
        for (; oldest < next; ++oldest) {
            Message& m = messages.at(oldest);
            if (!m.resolved && !all && now - m.from < timeout)
                break;
            if (!m.resolved) {
                m.resolved = true;
                ++lost;
            }
        }
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    const bool open_loop = in.ConsumeBool();
    const le::Nanos timeout = in.ConsumeIntegralInRange<le::Nanos>(le::kNanosPerMilli, le::kNanosPerSecond);
    const std::atomic<le::Nanos> measure_from{0};
    le::Recorder recorder;
    le::EchoBook book(recorder, open_loop, timeout, measure_from, kCapacity);
    Model model;
    static std::vector<std::byte> message(kMaxSize + 16);

    le::Nanos now = le::kNanosPerSecond; // steady_clock values are never 0, which means "resolved"
    le::Nanos last_intended = -1;
    while (in.remaining_bytes() > 0) {
        switch (in.ConsumeIntegralInRange(0, 6)) {
        case 0:
            now += in.ConsumeIntegralInRange<le::Nanos>(0, 2 * timeout);
            break;
        case 1: { // a send, on a new due time or as the next message of a burst
            const bool burst = last_intended > 0 && in.ConsumeBool();
            const le::Nanos intended =
                burst ? last_intended : now - in.ConsumeIntegralInRange<le::Nanos>(0, le::kNanosPerMilli);
            const auto bytes = in.ConsumeIntegralInRange<std::uint32_t>(le::kSequenceBytes, kMaxSize);
            const bool room = model.next - model.oldest < kCapacity;
            const bool accepted = book.sent(model.next, intended, now, bytes);
            expect(accepted == room, "sent() accepted a message", accepted, room);
            if (!accepted)
                break;
            model.messages[model.next] = {open_loop ? intended : now, bytes, intended != last_intended};
            last_intended = intended;
            ++model.next;
            ++model.sent;
            model.bytes += bytes;
            break;
        }
        case 2: { // an echo of a recent (or stale) message, of the right length or not
            if (model.next == 0)
                break;
            const std::uint64_t back = in.ConsumeIntegralInRange<std::uint64_t>(0, 3 * kCapacity);
            const std::uint64_t seq = back < model.next ? model.next - 1 - back : model.next + back;
            const auto it = model.messages.find(seq);
            std::size_t n = it != model.messages.end() ? it->second.size : le::kSequenceBytes;
            if (in.ConsumeBool())
                n = in.ConsumeIntegralInRange<std::size_t>(0, kMaxSize);
            le::write_sequence(message.data(), seq);
            const auto got = book.echo(message.data(), n, now);
            const auto want = model.echo(seq, n, now);
            expect(got == want, "echo() verdict", static_cast<int>(got), static_cast<int>(want));
            break;
        }
        case 3: { // any bytes at all
            const std::vector<std::uint8_t> raw =
                in.ConsumeBytes<std::uint8_t>(in.ConsumeIntegralInRange(0, 16));
            const std::uint64_t seq =
                raw.size() >= 8 ? le::read_sequence(reinterpret_cast<const std::byte*>(raw.data())) : 0;
            const auto got = book.echo(reinterpret_cast<const std::byte*>(raw.data()), raw.size(), now);
            const auto want = model.echo(seq, raw.size(), now);
            expect(got == want, "echo() verdict on raw bytes", static_cast<int>(got), static_cast<int>(want));
            break;
        }
        case 4:
        case 5: {
            const bool all = in.ConsumeBool() && in.ConsumeBool();
            const std::uint64_t left = book.expire(now, all);
            model.expire(now, timeout, all);
            expect(left == model.next - model.oldest, "outstanding after expire()", left,
                   model.next - model.oldest);
            break;
        }
        default:
            expect(book.outstanding() == model.next - model.oldest, "outstanding()", book.outstanding(),
                   model.next - model.oldest);
            break;
        }
    }
    expect(book.expire(now, true) == 0, "something outstanding after the final scan");
    model.expire(now, timeout, true);

    const le::IntervalData& d = recorder.swap();
    expect(d.sent == model.sent, "sent", d.sent, model.sent);
    expect(d.received == model.received, "received", d.received, model.received);
    expect(d.lost == model.lost, "lost", d.lost, model.lost);
    expect(d.errors == model.errors, "errors", d.errors, model.errors);
    expect(d.bytes == model.bytes, "bytes", d.bytes, model.bytes);
    expect(d.strays == model.strays, "strays", d.strays, model.strays);
    expect(d.rtt == model.rtt, "RTT histogram", d.rtt.count(), model.rtt.count());
    expect(d.rtt_first == model.rtt_first, "first-of-burst RTTs", d.rtt_first.count(), model.first);
    expect(d.rtt_rest == model.rtt_rest, "rest-of-burst RTTs", d.rtt_rest.count(), model.rtt_rest.count());
    // Every message ends as exactly one of received, lost or a bad echo of it.
    for (const auto& [seq, m] : model.messages)
        expect(m.resolved, "a message never resolved", seq);
    expect(d.sent == d.received + d.lost + d.errors, "sent != received + lost + errors", d.sent,
           d.received + d.lost + d.errors);
    return 0;
}
