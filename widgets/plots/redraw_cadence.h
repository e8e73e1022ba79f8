#pragma once

#include <cstdint>

// Which live plots one tick of the window's redraw timer (30 Hz) refreshes. The curves over time
// (percentiles, and the split on the same time axis) scroll with every record: they are redrawn on
// every tick that brought new data, since motion is what the eye follows. The shapes of the last
// window (the histogram and the percentile distribution) change by one record in 30 per tick: they
// are redrawn at 10 Hz, on ticks of their own (one in three each, never the same tick), still
// within 100 ms of the data, for a third of their cost. On a 2-vCPU machine every millisecond of
// GUI time took about two from the measured round trips (bench_window); this took the GUI thread's
// CPU per tick from 9.0 to 6.1 ms (bench_redraw), though not the round trips' share (README).
class RedrawCadence {
public:
    // Shapes are redrawn on one tick in this many.
    static constexpr std::uint64_t kShapeEvery = 3;

    struct Due {
        bool curves = false;
        bool histogram = false;
        bool distribution = false;
        bool any() const { return curves || histogram || distribution; }
    };

    // The next tick: `fresh` says whether data arrived (or the view changed) since the last one.
    // A shape that missed its tick (no new data then) is not redrawn before its next one.
    Due tick(bool fresh) {
        const std::uint64_t phase = m_tick++ % kShapeEvery;
        if (fresh)
            m_histogramBehind = m_distributionBehind = true;
        Due due;
        due.curves = fresh;
        due.histogram = m_histogramBehind && phase == 1;
        due.distribution = m_distributionBehind && phase == 2;
        m_histogramBehind = m_histogramBehind && !due.histogram;
        m_distributionBehind = m_distributionBehind && !due.distribution;
        return due;
    }
    // Every plot was just redrawn (a forced refresh): nothing is behind.
    void caughtUp() { m_histogramBehind = m_distributionBehind = false; }
    std::uint64_t ticks() const { return m_tick; }

private:
    std::uint64_t m_tick = 0;
    bool m_histogramBehind = false;
    bool m_distributionBehind = false;
};
