#pragma once

#include "residence_source.h"

#include <deque>
#include <mutex>
#include <string>

namespace le {

// The residence a pong measured over one of its periods [start, end] (CLOCK_MONOTONIC ns of the
// ping's host: a pong child on the same host reads the same clock; an agent's chunk is placed by the
// time its answer arrived).
struct ResidenceChunk {
    Nanos start = 0, end = 0;
    ResidenceData data;
};

// A ResidenceSource fed chunk by chunk by another thread (the window's GUI thread reading the pong
// child's lines): push() and take() lock one mutex per chunk, never per message. Bounded: a source
// nobody takes from keeps the newest kMaxChunks.
class ResidenceChunks : public ResidenceSource {
public:
    static constexpr std::size_t kMaxChunks = 256;

    // `period`: how often the producer reports, for the reason an interval without a chunk gives.
    explicit ResidenceChunks(Nanos period = 0)
        : m_period(period) {}

    // A chunk arrived. Chunks come in order of their end; one that ends before the last taken
    // boundary (late) is merged into the next take.
    void push(ResidenceChunk chunk);
    // The producer says it will never report (its pong does not measure): every take() says why.
    void set_unavailable(std::string why);

    // Merges the chunks with end <= `end` into `out`; see ResidenceSource.
    std::string take(Nanos end, ResidenceData& out) override;

private:
    const Nanos m_period;
    std::mutex m_mutex; // guards what follows
    std::deque<ResidenceChunk> m_chunks;
    std::string m_unavailable;
};

} // namespace le
