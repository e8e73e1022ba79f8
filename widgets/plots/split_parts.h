#pragma once

#include "split_stats.h"

#include <QList>
#include <QRgb>
#include <QString>

// The parts of a round trip the kernel-timestamp split shows (split_stats.h), bottom of the stack
// first. The one place the window enumerates them: when SplitStats gains parts (the peer-side split
// dividing `wire` into `network` and `pong`), the split plot, its legend and its CSV follow from
// this list alone.
struct SplitPart {
    QString name;        // "send", "wire", "wake"
    QString meaning;     // what the part measures, for tooltips and the legend's hover text
    QRgb colour;         // the same hue in every view of the split
    le::PartStats stats; // a copy: a part outlives no record it was read from
};

// The parts of `split` in stacking order: send, wire, wake; with the peer's side (`peer`: the record's
// has_peer_split()) wire is divided, in the order a round trip passes them: send, network, pong, wake.
QList<SplitPart> splitParts(const le::SplitStats& split, bool peer = false);

// The parts that have a histogram of their own, index for index with le::SplitData::kParts (send,
// wire, wake, and the pong's residence when the peer is ours): the names and colours the split plot
// gives them, for the RTT histogram and the distribution to draw each part beside the round trip.
struct SplitHistogramPart {
    QString name;
    QRgb colour;
};
QList<SplitHistogramPart> splitHistogramParts();
