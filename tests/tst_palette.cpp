// One palette (widgets/plots/plot_colours): no two series the plots can show at once share a hue —
// the live curves, the burst series and the first overlaid runs (sessions, compare runs) — and the
// percentile plot draws them in those colours.
#include "plot_colours.h"
#include "plot_test_support.h"

#include <QApplication>
#include <QTest>

namespace {

// Hue distance on the colour wheel, in degrees.
int hueDistance(const QColor& a, const QColor& b) {
    const int d = std::abs(a.hslHue() - b.hslHue()) % 360;
    return std::min(d, 360 - d);
}

} // namespace

class TestPalette : public QObject {
    Q_OBJECT

private slots:
    void visibleSeriesHaveDistinctHues() {
        using namespace SeriesColours;
        QList<QColor> colours{QColor(kP50), QColor(kP90),        QColor(kP99),      QColor(kP999),
                              QColor(kMax), QColor(kBurstFirst), QColor(kBurstRest)};
        for (int i = 1; i <= 4; ++i)
            colours << runColour(i);
        int achromatic = 0;
        for (int i = 0; i < colours.size(); ++i) {
            if (colours[i].hslHue() < 0) {
                ++achromatic;
                continue;
            }
            for (int j = i + 1; j < colours.size(); ++j)
                if (colours[j].hslHue() >= 0)
                    QVERIFY2(hueDistance(colours[i], colours[j]) >= 12 ||
                                 std::abs(colours[i].lightness() - colours[j].lightness()) >= 60,
                             qPrintable(QString("%1 and %2").arg(colours[i].name(), colours[j].name())));
        }
        QVERIFY(achromatic <= 1);
    }

    void percentilePlotUsesThePalette() {
        auto plot = makePlot("percentile");
        plot->setRuns(runsWith(3));
        refresh(plot.get(), true);
        QSet<QRgb> liveColours, overlayColours;
        for (int i = 0; i < plot->graphCount(); ++i) {
            const QString name = plot->graph(i)->name();
            (name.startsWith("live ") ? liveColours : overlayColours)
                .insert(plot->graph(i)->pen().color().rgb() & 0xffffff);
        }
        using namespace SeriesColours;
        QCOMPARE(liveColours, (QSet<QRgb>{kP50, kP90, kP99, kP999, kMax}));
        QCOMPARE(overlayColours, (QSet<QRgb>{runColour(1).rgb() & 0xffffff, runColour(2).rgb() & 0xffffff,
                                             runColour(3).rgb() & 0xffffff}));
        QVERIFY(!liveColours.intersects(overlayColours));
    }
};

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    TestPalette t;
    return QTest::qExec(&t, argc, argv);
}

#include "tst_palette.moc"
