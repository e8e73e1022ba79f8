#include "latency_axis.h"

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

namespace {

// Tick labels with units: "100 µs" reads faster than "100" plus an axis title, and stays right when
// the range crosses into milliseconds. Ticks stay labelled however narrow the range:
// QCPAxisTickerLog alone labels only powers of ten (a 20-400 µs axis gets one label, at 100 µs)
// and, below 1.6 decades, falls back to linear steps with a wall of sub-ticks at the top.
class LatencyTicker : public QCPAxisTickerLog {
public:
    explicit LatencyTicker(const QCPAxis* axis)
        : m_axis(axis) {}

protected:
    QString getTickLabel(double tick, const QLocale&, QChar, int) override { return formatMicros(tick); }

    QVector<double> createTickVector(double tickStep, const QCPRange& range) override {
        m_mode = Mode::Decades;
        if (!(range.lower > 0) || !(range.upper > range.lower))
            return QCPAxisTickerLog::createTickVector(tickStep, range);
        const double decades = std::log10(range.upper / range.lower);
        if (decades > 3.5)
            return QCPAxisTickerLog::createTickVector(tickStep, range);
        if (decades < 0.25) {
            m_mode = Mode::Linear;
            return QCPAxisTicker::createTickVector(tickStep, range);
        }
        // Steps that are roughly even on a log axis, so labels neither crowd nor thin out at one end:
        // as many per decade as the range asks for, as few as the axis has room for (a histogram a
        // third of a 1280-pixel window wide ran "100 µs200 µs" together with 1-2-5 over 2.7 decades).
        static const QVector<QVector<double>> kSets = {
            {1, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8}, {1, 2, 3, 5, 7}, {1, 2, 5}, {1, 3}};
        int set = decades > 1.2 ? 2 : decades > 0.8 ? 1 : 0;
        const double perDecade = pixelsPerDecade(decades);
        const double extent = labelExtent();
        while (set < kSets.size() && perDecade * narrowestGap(kSets[set]) < extent)
            ++set;
        if (set == kSets.size())
            return QCPAxisTickerLog::createTickVector(tickStep, range); // decades, thinned as needed
        m_mode = Mode::Mantissas;
        m_mantissas = kSets[set];
        QVector<double> ticks; // generate() trims to the range
        for (int k = static_cast<int>(std::floor(std::log10(range.lower)));
             k <= static_cast<int>(std::ceil(std::log10(range.upper))); ++k) {
            for (double m : std::as_const(m_mantissas))
                ticks << m * std::pow(10.0, k);
        }
        return ticks;
    }

    int getSubTickCount(double tickStep) override {
        return m_mode == Mode::Linear ? QCPAxisTicker::getSubTickCount(tickStep)
                                      : QCPAxisTickerLog::getSubTickCount(tickStep);
    }

    // Between 1-2-5 ticks the minor ticks are the remaining integers of the decade (3, 4, 6, ...),
    // as on log paper.
    QVector<double> createSubTickVector(int subTickCount, const QVector<double>& ticks) override {
        if (m_mode != Mode::Mantissas || ticks.size() < 2)
            return QCPAxisTickerLog::createSubTickVector(subTickCount, ticks);
        QVector<double> sub;
        const int first = static_cast<int>(std::floor(std::log10(ticks.front())));
        const int last = static_cast<int>(std::ceil(std::log10(ticks.back())));
        for (int k = first; k <= last; ++k) {
            for (int m = 1; m <= 9; ++m) {
                const double v = m * std::pow(10.0, k);
                if (v > ticks.front() && v < ticks.back() && !m_mantissas.contains(m))
                    sub << v;
            }
        }
        return sub;
    }

private:
    // The narrowest gap between neighbouring steps of a decade's `mantissas`, in decades (the last
    // one's gap runs to the next decade's 1).
    static double narrowestGap(const QVector<double>& mantissas) {
        double gap = std::log10(10 / mantissas.back());
        for (qsizetype i = 1; i < mantissas.size(); ++i)
            gap = std::min(gap, std::log10(mantissas[i] / mantissas[i - 1]));
        return gap;
    }

    // The axis's length per decade of `decades`, in pixels (as laid out at the last replot; before
    // the first, room enough for any set).
    double pixelsPerDecade(double decades) const {
        const QCPAxisRect* rect = m_axis ? m_axis->axisRect() : nullptr;
        if (!rect)
            return 1e9;
        const int length = m_axis->orientation() == Qt::Horizontal ? rect->width() : rect->height();
        return length > 0 ? length / decades : 1e9;
    }

    // The room one tick label needs along the axis, its gap to the next included.
    double labelExtent() const {
        if (!m_axis)
            return 0;
        const QFontMetrics fm(m_axis->tickLabelFont());
        if (m_axis->orientation() == Qt::Horizontal)
            return fm.horizontalAdvance(QStringLiteral("500 µs")) +
                   fm.horizontalAdvance(QLatin1Char(' ')) * 2;
        return fm.height() * 1.2;
    }

    const QCPAxis* m_axis;
    enum class Mode { Decades, Mantissas, Linear };
    Mode m_mode = Mode::Decades;
    QVector<double> m_mantissas;
};

double roundSignificant(double value, int digits) {
    if (value == 0 || !std::isfinite(value))
        return value;
    const double scale = std::pow(10.0, digits - 1 - std::floor(std::log10(std::abs(value))));
    return std::round(value * scale) / scale;
}

} // namespace

void setLatencyAxis(QCPAxis* axis) {
    axis->setScaleType(QCPAxis::stLogarithmic);
    axis->setTicker(QSharedPointer<LatencyTicker>::create(axis));
    axis->grid()->setSubGridVisible(true);
}

QString formatMicros(double us) {
    if (!std::isfinite(us))
        return QStringLiteral("–");
    // Rounded before the unit is picked, so 999.96 µs reads "1 ms" rather than "1e+03 µs".
    const double rounded = roundSignificant(us, 3);
    const double magnitude = std::abs(rounded);
    double value = rounded;
    const char* unit = "µs";
    if (magnitude > 0 && magnitude < 1) {
        value = rounded * 1e3;
        unit = "ns";
    } else if (magnitude >= 1e6) {
        value = rounded / 1e6;
        unit = "s";
    } else if (magnitude >= 1e3) {
        value = rounded / 1e3;
        unit = "ms";
    }
    value = roundSignificant(value, 3);
    const QString number =
        std::abs(value) >= 1000 ? QString::number(value, 'f', 0) : QString::number(value, 'g', 3);
    return number + QLatin1Char(' ') + QString::fromUtf8(unit);
}
