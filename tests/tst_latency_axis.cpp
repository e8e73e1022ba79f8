// The latency axis's tick labels as a slide shows them: as many steps per decade as the range asks
// for (1-2-5, finer over less than a decade), as few as the axis has room for, never run together,
// whatever the plot's size: a histogram a third of a 1280-pixel window wide, a tall export, a short
// distribution plot.
#include "latency_axis.h"
#include "tick_labels.h"

#include <QTest>

#include <qcustomplot.h>

class TestLatencyAxis : public QObject {
    Q_OBJECT
private slots:
    void labelsFitTheAxis_data();
    void labelsFitTheAxis();
};

void TestLatencyAxis::labelsFitTheAxis_data() {
    QTest::addColumn<bool>("horizontal");
    QTest::addColumn<int>("length"); // the widget's extent along the axis
    QTest::addColumn<double>("lower");
    QTest::addColumn<double>("upper");
    QTest::addColumn<QStringList>("mustShow"); // labels the axis must have at that size
    QTest::addColumn<int>("leastLabels");

    // The live window's histogram at 1280x720: 10 µs to 5 ms in under 500 pixels.
    QTest::newRow("histogram 1280x720")
        << true << 420 << 10.0 << 5000.0 << QStringList{"100 µs", "1 ms"} << 3;
    QTest::newRow("narrow, 2.7 decades")
        << true << 300 << 10.0 << 5000.0 << QStringList{"100 µs", "1 ms"} << 3;
    // Room: the 1-2-5 steps stay.
    QTest::newRow("wide, 2.7 decades")
        << true << 1400 << 10.0 << 5000.0 << QStringList{"20 µs", "50 µs", "200 µs", "2 ms"} << 8;
    // Under a decade: finer steps where there is room, fewer where there is not.
    QTest::newRow("wide, half a decade")
        << true << 1400 << 100.0 << 300.0 << QStringList{"150 µs", "250 µs"} << 5;
    QTest::newRow("narrow, half a decade") << true << 260 << 100.0 << 300.0 << QStringList{"200 µs"} << 2;
    QTest::newRow("narrow, one decade") << true << 260 << 20.0 << 200.0 << QStringList{"100 µs"} << 2;
    // Vertical: the percentile plot's y axis, tall and short.
    QTest::newRow("tall, 2 decades") << false << 900 << 20.0 << 2000.0
                                     << QStringList{"50 µs", "200 µs", "500 µs"} << 6;
    QTest::newRow("short, 2 decades") << false << 130 << 20.0 << 2000.0 << QStringList{"100 µs", "1 ms"} << 2;
    QTest::newRow("short, 3 decades") << false << 130 << 10.0 << 10000.0 << QStringList{"100 µs"} << 2;
}

void TestLatencyAxis::labelsFitTheAxis() {
    QFETCH(bool, horizontal);
    QFETCH(int, length);
    QFETCH(double, lower);
    QFETCH(double, upper);
    QFETCH(QStringList, mustShow);
    QFETCH(int, leastLabels);

    QCustomPlot plot;
    QCPAxis* axis = horizontal ? plot.xAxis : plot.yAxis;
    setLatencyAxis(axis);
    axis->setRange(lower, upper);
    plot.resize(horizontal ? QSize(length, 300) : QSize(400, length));
    plot.setViewport(plot.rect()); // as its resize event does once shown
    plot.replot();                 // lays the axis out; the ticks go by the length found
    plot.replot();
    const QString clash = tickLabelsClash(axis);
    const QStringList shown = tickLabelsShown(axis);
    const QString what = QStringLiteral("%1 px axis: %2")
                             .arg(horizontal ? axis->axisRect()->width() : axis->axisRect()->height())
                             .arg(shown.join(QStringLiteral(", ")));
    QVERIFY2(clash.isEmpty(), qPrintable(clash + QStringLiteral("; ") + what));
    QVERIFY2(shown.size() >= leastLabels, qPrintable(what));
    for (const QString& label : std::as_const(mustShow))
        QVERIFY2(shown.contains(label), qPrintable(QStringLiteral("no %1 on the %2").arg(label, what)));
}

QTEST_MAIN(TestLatencyAxis)
#include "tst_latency_axis.moc"
