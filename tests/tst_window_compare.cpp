// Compare and Sweep measure alone and give the live run back: a comparison started while live
// measuring ran restarts it when it ends, shows that it runs meanwhile, takes rate and payload from
// its own fields, and exports its table as CSV (file and clipboard). For demos: "Keep as baseline"
// and presentation mode.
#include "compare_dialog.h"
#include "main_window.h"
#include "modal_answer.h"
#include "overlay_runs.h"
#include "percentile_plot.h"
#include "timeline_test_support.h"
#include "widget_lookup.h"
#include "window_test_main.h"

#include <QtTest>

#include <QApplication>
#include <QClipboard>
#include <QDockWidget>
#include <QInputDialog>
#include <QLabel>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTemporaryDir>

class TestWindowCompare : public QObject {
    Q_OBJECT

private slots:
    void compareRestartsLiveAndExportsItsTable() {
        WindowOptions o;
        o.inProcess = true;
        o.rate = QStringLiteral("1k");
        MainWindow w(o);
        w.show();
        QTRY_COMPARE_WITH_TIMEOUT(w.bridge()->state(), SessionBridge::State::Running, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!w.bridge()->history()->empty(), 10000); // a timeline to mark
        child<QAction>(&w, "compareAction")->trigger();
        CompareDialog* d = child<CompareDialog>(&w, "compareDialog");
        QCOMPARE(child<QLineEdit>(d, "rateEdit")->text(), QString("1k")); // from the controls
        for (QCheckBox* b : allChildren<QCheckBox>(d, "engineBox"))
            b->setChecked(b->text() == "blocking" || b->text() == "asio");
        child<QLineEdit>(d, "rateEdit")->setText("2k");
        child<QLineEdit>(d, "payloadEdit")->setText("256B");
        child<QLineEdit>(d, "sliceEdit")->setText("200ms");
        child<QLineEdit>(d, "durationEdit")->setText("400ms");
        QSignalSpy done(d, &CompareDialog::finished);
        QSignalSpy slices(d, &CompareDialog::sliceMeasured);
        QTest::mouseClick(child<QPushButton>(d, "startButton"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(w.bridge()->state() != SessionBridge::State::Running, 3000);
        QLabel* running = child<QLabel>(&w, "exclusiveLabel");
        QVERIFY(running->isVisible());
        QVERIFY2(running->text().contains("A/B comparison running"), qPrintable(running->text()));
        QVERIFY(done.wait(30000));
        // Live measuring is back, as it was.
        QTRY_COMPARE_WITH_TIMEOUT(w.bridge()->state(), SessionBridge::State::Running, 10000);
        QVERIFY(!running->isVisible());
        checkCompareMarkers(w, slices);
        // The variants ran at the dialog's rate and payload.
        const QStringList csv = d->tableCsv().split('\n', Qt::SkipEmptyParts);
        QCOMPARE(csv.size(), 3);
        QVERIFY(csv[0].startsWith("variant,msg/s,p50 µs"));
        QVERIFY(csv[1].startsWith("blocking,"));
        // 2k, not the controls' 1k: what each slice was asked for (what it reached is the machine's).
        const OverlayRuns::Runs runs = child<OverlayRuns>(&w, "overlayRuns")->runs();
        QCOMPARE(runs.size(), 2);
        for (const auto& run : runs)
            for (const le::IntervalRecord& slice : run->intervals()) {
                QCOMPARE(slice.target_rate, 2000.0);
                QCOMPARE(slice.payload, std::uint64_t{256});
            }
        const QString path = m_dir.filePath("compare.csv");
        QCOMPARE(d->exportTable(path), QString());
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(QString::fromUtf8(f.readAll()), d->tableCsv());
        child<QPushButton>(d, "copyButton")->click();
        QCOMPARE(QGuiApplication::clipboard()->text(), d->tableCsv());
        QVERIFY(!d->exportTable("/nonexistent-dir/c.csv").isEmpty());
    }

    void compareWhileIdleStaysIdle() {
        WindowOptions o;
        o.inProcess = true;
        o.autoStart = false;
        MainWindow w(o);
        w.show();
        child<QAction>(&w, "compareAction")->trigger();
        CompareDialog* d = child<CompareDialog>(&w, "compareDialog");
        for (QCheckBox* b : allChildren<QCheckBox>(d, "engineBox"))
            b->setChecked(b->text() == "blocking" || b->text() == "asio");
        child<QLineEdit>(d, "sliceEdit")->setText("200ms");
        child<QLineEdit>(d, "durationEdit")->setText("200ms");
        QSignalSpy done(d, &CompareDialog::finished);
        QTest::mouseClick(child<QPushButton>(d, "startButton"), Qt::LeftButton);
        QVERIFY(done.wait(30000));
        QTest::qWait(300);
        QCOMPARE(w.bridge()->state(), SessionBridge::State::Idle);
    }

    void baselineAndPresentation() {
        WindowOptions o;
        o.inProcess = true;
        MainWindow w(o);
        w.show();
        QTRY_VERIFY_WITH_TIMEOUT(w.bridge()->history()->intervals().size() >= 5, 10000);
        // One click: the live run as it is now becomes an overlay, and live measuring goes on.
        child<QAction>(&w, "baselineAction")->trigger();
        const OverlayRuns::Runs runs = child<OverlayRuns>(&w, "overlayRuns")->runs();
        QCOMPARE(runs.size(), 1);
        QVERIFY(QString::fromStdString(runs.front()->name()).startsWith("baseline "));
        const std::size_t kept = runs.front()->intervals().size();
        QVERIFY(kept >= 5);
        QTRY_VERIFY_WITH_TIMEOUT(w.bridge()->history()->intervals().size() > kept + 3, 3000);
        QCOMPARE(runs.front()->intervals().size(), kept); // a copy: it does not grow
        checkShiftedBaseline(w);
        if (QTest::currentTestFailed())
            return;
        // Presentation mode: the plots and a large readout only.
        auto* controlsDock = child<QDockWidget>(&w, "controlsDock");
        QVERIFY(controlsDock->isVisible());
        child<QAction>(&w, "presentAction")->trigger();
        QVERIFY(w.presenting());
        QVERIFY(!controlsDock->isVisible());
        QLabel* readout = child<QLabel>(&w, "presentReadout");
        QTRY_VERIFY_WITH_TIMEOUT(readout->text().contains("p99"), 2000);
        QVERIFY(readout->font().pointSizeF() >= 2.5 * w.font().pointSizeF());
        child<QAction>(&w, "presentAction")->trigger();
        QVERIFY(!w.presenting());
        QVERIFY(controlsDock->isVisible());
        QVERIFY(!readout->isVisible());
    }

private:
    // The overlay's p50 curve keys as the percentiles over time draw it, and its legend name.
    static std::pair<QString, QVector<double>> drawnOverlay(MainWindow& w) {
        w.refreshPlots(true);
        auto* plot = child<PercentilePlot>(&w, "percentilePlot");
        for (int i = 0; i < plot->graphCount(); ++i) {
            const QString name = plot->graph(i)->name();
            if (!name.startsWith("baseline ") || !name.endsWith(" p50"))
                continue;
            QVector<double> keys;
            for (const QCPGraphData& d : *plot->graph(i)->data())
                keys << d.key;
            return {name, keys};
        }
        return {};
    }

    // Shifted in time from the View menu: drawn exactly 2 s later, named so in the legend and in the
    // plot data; bad values are refused with their reason and change nothing; aligning with the
    // live run's start (0: it started once) takes the shift back.
    static void checkShiftedBaseline(MainWindow& w) {
        const auto [name, keys] = drawnOverlay(w);
        QVERIFY2(!keys.isEmpty(), qPrintable(name));
        const QString run = name.chopped(4); // "baseline HH:MM:SS"
        const auto typeShift = [&w](const QString& text) {
            answerNextModal([text](QWidget* modal) {
                auto* dialog = qobject_cast<QInputDialog*>(modal);
                QVERIFY(dialog);
                dialog->setTextValue(text);
                dialog->accept();
            });
            child<QAction>(&w, "shiftOverlayAction")->trigger();
        };
        typeShift("2");
        auto [shiftedName, shiftedKeys] = drawnOverlay(w);
        QCOMPARE(shiftedName, run + " (+2.0 s) p50");
        QCOMPARE(shiftedKeys.size(), keys.size());
        for (qsizetype i = 0; i < keys.size(); ++i)
            QVERIFY2(shiftedKeys[i] == keys[i] + 2.0, // exactly: the shift adds, nothing else moves
                     qPrintable(QStringLiteral("%1 drawn at %2").arg(keys[i]).arg(shiftedKeys[i])));
        const QString csv = child<PercentilePlot>(&w, "percentilePlot")->plotData();
        QVERIFY2(
            csv.contains(QStringLiteral("\n%1 (+2.0 s),%2,").arg(run).arg(keys.front() + 2.0, 0, 'f', 4)),
            qPrintable(csv.left(2000)));
        typeShift("abc"); // through the dialog: refused with its reason
        QVERIFY2(w.statusBar()->currentMessage().contains("'abc' is not a shift in seconds"),
                 qPrintable(w.statusBar()->currentMessage()));
        for (const char* bad : {"nan", "inf", "86401", "-90000 s", ""})
            QVERIFY2(!w.shiftOverlay(0, bad).isEmpty(), bad);
        QVERIFY(w.shiftOverlay(0, "nan").contains("finite"));
        QCOMPARE(w.shiftOverlay(0, "-90000 s"),
                 QString("a shift of -90000 s is not within ±1 day (±86400 s)"));
        auto [afterBad, afterBadKeys] = drawnOverlay(w);
        QCOMPARE(afterBad, shiftedName);
        QCOMPARE(afterBadKeys, shiftedKeys);
        QCOMPARE(w.alignOverlayWithLive(0), QString());
        auto [aligned, alignedKeys] = drawnOverlay(w);
        QCOMPARE(aligned, name);
        QCOMPARE(alignedKeys, keys);
    }

    // The live timeline marks the comparison: "compare" where it began, one marker per slice
    // (2 variants x 2 slices) within it, "compare end", and the live run's start after it, at
    // least the slices' measured time later (the clock ran on while the comparison measured).
    static void checkCompareMarkers(const MainWindow& w, const QSignalSpy& slices) {
        QCOMPARE(slices.size(), 4);
        double measured = 0;
        for (const QList<QVariant>& slice : slices)
            measured += slice.at(1).toDouble();
        const MarkerSpan span = markersFrom(w, "compare");
        const QStringList& keys = span.keys;
        const std::vector<double>& times = span.t;
        QCOMPARE(keys.join(','), QStringLiteral("compare,compare slice,compare slice,compare slice,compare "
                                                "slice,compare end,start"));
        QCOMPARE(span.labels.mid(1, 4),
                 QStringList({"compare: blocking", "compare: asio", "compare: blocking", "compare: asio"}));
        for (int i = 1; i <= 4; ++i)
            QVERIFY2(times[std::size_t(i)] >= times[0] && times[std::size_t(i)] <= times[5],
                     qPrintable(QStringLiteral("slice marker %1 at %2 s, outside %3 .. %4 s")
                                    .arg(i)
                                    .arg(times[std::size_t(i)])
                                    .arg(times[0])
                                    .arg(times[5])));
        QVERIFY(times[6] >= times[5]);
        QVERIFY2(times[6] - times[0] >= measured,
                 qPrintable(QStringLiteral("restart %1 s after the compare marker; the slices measured %2 s")
                                .arg(times[6] - times[0])
                                .arg(measured)));
    }

    QTemporaryDir m_dir;
};

LE_WINDOW_TEST_MAIN(TestWindowCompare)

#include "tst_window_compare.moc"
