// Compare and Sweep measure alone and give the live run back: a comparison started while live
// measuring ran restarts it when it ends, shows that it runs meanwhile, takes rate and payload from
// its own fields, and exports its table as CSV (file and clipboard). For demos: "Keep as baseline"
// and presentation mode.
#include "compare_dialog.h"
#include "main_window.h"
#include "overlay_runs.h"
#include "widget_lookup.h"
#include "window_test_main.h"

#include <QtTest>

#include <QApplication>
#include <QClipboard>
#include <QDockWidget>
#include <QLabel>
#include <QSignalSpy>
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
        QTest::mouseClick(child<QPushButton>(d, "startButton"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(w.bridge()->state() != SessionBridge::State::Running, 3000);
        QLabel* running = child<QLabel>(&w, "exclusiveLabel");
        QVERIFY(running->isVisible());
        QVERIFY2(running->text().contains("A/B comparison running"), qPrintable(running->text()));
        QVERIFY(done.wait(30000));
        // Live measuring is back, as it was.
        QTRY_COMPARE_WITH_TIMEOUT(w.bridge()->state(), SessionBridge::State::Running, 10000);
        QVERIFY(!running->isVisible());
        // The variants ran at the dialog's rate and payload.
        const QStringList csv = d->tableCsv().split('\n', Qt::SkipEmptyParts);
        QCOMPARE(csv.size(), 3);
        QVERIFY(csv[0].startsWith("variant,msg/s,p50 µs"));
        QVERIFY(csv[1].startsWith("blocking,"));
        const double rate = csv[1].split(',')[1].toDouble();
        QVERIFY2(rate > 1500 && rate < 2100, qPrintable(csv[1])); // 2k, not the controls' 1k
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
    QTemporaryDir m_dir;
};

LE_WINDOW_TEST_MAIN(TestWindowCompare)

#include "tst_window_compare.moc"
