#include "split_parts.h"

#include <QCoreApplication>

QList<SplitPart> splitParts(const le::SplitStats& split, bool peer) {
    // Teal, indigo, dark amber and raspberry: apart from each other in hue and >= 2.5:1 against white
    // and against a dark background, like the other series colours (plot_colours.h). Network keeps
    // wire's indigo: it is wire without the peer.
    const auto tr = [](const char* text) { return QCoreApplication::translate("SplitParts", text); };
    if (peer)
        return {
            {QStringLiteral("send"), tr("the send call began → the kernel's TX timestamp"), 0x00a3a3,
             split.send},
            {QStringLiteral("network"),
             tr("wire less the peer's residence: the network (or loopback) both ways; a difference of "
                "percentiles, not per message"),
             0x5c6bc0, split.network},
            {QStringLiteral("pong"),
             tr("the peer's residence: its kernel RX timestamp of the request → its send call of the echo"),
             0xd81b60, split.pong},
            {QStringLiteral("wake"), tr("RX timestamp → the engine has the bytes: wake-up and dispatch"),
             0xc77c00, split.wake},
        };
    return {
        {QStringLiteral("send"), tr("the send call began → the kernel's TX timestamp"), 0x00a3a3, split.send},
        {QStringLiteral("wire"), tr("TX timestamp → the echo's RX timestamp: the network and the whole peer"),
         0x5c6bc0, split.wire},
        {QStringLiteral("wake"), tr("RX timestamp → the engine has the bytes: wake-up and dispatch"),
         0xc77c00, split.wake},
    };
}

QList<SplitHistogramPart> splitHistogramParts() {
    QList<SplitHistogramPart> out;
    for (const SplitPart& part : splitParts(le::SplitStats{}))
        out.push_back({part.name, part.colour});
    // The pong's residence in the colour of the four-part stack (network has no histogram of its own:
    // it is a difference of percentiles).
    for (const SplitPart& part : splitParts(le::SplitStats{}, true))
        if (part.name == QLatin1String("pong"))
            out.push_back({part.name, part.colour});
    return out;
}
