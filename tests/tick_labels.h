#pragma once

// Whether an axis's tick labels can be read: what the layout and axis suites share.
#include <qcustomplot.h>

#include <QFontMetrics>
#include <QString>

#include <cmath>

// Why adjacent tick labels of `axis` (as of its last replot) run into each other, or empty.
inline QString tickLabelsClash(const QCPAxis* axis) {
    const QFontMetrics fm(axis->tickLabelFont());
    const QVector<double> ticks = axis->tickVector();
    const QVector<QString> labels = axis->tickVectorLabels();
    double lastPx = 0, lastHalf = 0;
    bool first = true;
    for (int i = 0; i < ticks.size() && i < labels.size(); ++i) {
        if (!axis->range().contains(ticks[i]) || labels[i].isEmpty())
            continue;
        const double px = axis->coordToPixel(ticks[i]);
        const double half =
            axis->orientation() == Qt::Horizontal ? fm.horizontalAdvance(labels[i]) / 2.0 : fm.height() / 2.0;
        if (!first && std::abs(px - lastPx) < lastHalf + half)
            return QStringLiteral("tick label '%1' at %2 px runs into the one before at %3 px")
                .arg(labels[i])
                .arg(px)
                .arg(lastPx);
        first = false;
        lastPx = px;
        lastHalf = half;
    }
    return {};
}

// The labels of `axis`'s ticks inside its range, in order.
inline QStringList tickLabelsShown(const QCPAxis* axis) {
    QStringList out;
    const QVector<double> ticks = axis->tickVector();
    const QVector<QString> labels = axis->tickVectorLabels();
    for (int i = 0; i < ticks.size() && i < labels.size(); ++i)
        if (axis->range().contains(ticks[i]) && !labels[i].isEmpty())
            out << labels[i];
    return out;
}
