// Nothing lost on quit: closing with an unsaved run asks (save / discard / cancel), a saved run
// closes at once, and a run that was never decided on (the window crashed) is offered again at the
// next start from the autosaved recovery file.
#include "main_window.h"
#include "modal_answer.h"
#include "overlay_runs.h"
#include "session_file.h"
#include "widget_lookup.h"
#include "window_test_main.h"

#include <QtTest>

#include <QFileDialog>
#include <QMessageBox>
#include <QPushButton>
#include <QTemporaryDir>

namespace {

WindowOptions inProcess() {
    WindowOptions o;
    o.inProcess = true;
    o.rate = QStringLiteral("1k");
    o.tasks = QStringLiteral("0");
    return o;
}

bool measureSome(MainWindow& w, std::size_t intervals = 5) {
    return QTest::qWaitFor([&] { return w.bridge()->history()->intervals().size() >= intervals; }, 10000);
}

void clickButton(QWidget* modal, QMessageBox::StandardButton which) {
    auto* box = qobject_cast<QMessageBox*>(modal);
    QVERIFY(box);
    QCOMPARE(box->objectName(), QString("quitBox"));
    box->button(which)->click();
}

} // namespace

class TestWindowQuit : public QObject {
    Q_OBJECT

private slots:
    void init() {
        QFile::remove(MainWindow::recoveryPath());
        QFile::remove(MainWindow::offeredRecoveryPath());
    }

    void cancelKeepsMeasuring() {
        MainWindow w(inProcess());
        w.show();
        QVERIFY(measureSome(w));
        QVERIFY(w.hasUnsavedRun());
        answerNextModal([](QWidget* m) { clickButton(m, QMessageBox::Cancel); });
        QVERIFY(!w.close());
        QVERIFY(w.isVisible());
        const std::size_t n = w.bridge()->history()->intervals().size();
        QTRY_VERIFY_WITH_TIMEOUT(w.bridge()->history()->intervals().size() > n, 3000);
        QCOMPARE(w.bridge()->state(), SessionBridge::State::Running);
    }

    void discardQuitsAndDropsTheRecoveryFile() {
        MainWindow w(inProcess());
        w.show();
        QVERIFY(measureSome(w));
        w.stopMeasuring(); // a stopped run is autosaved
        QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(MainWindow::recoveryPath()), 3000);
        answerNextModal([](QWidget* m) { clickButton(m, QMessageBox::Discard); });
        QVERIFY(w.close());
        QVERIFY(!QFile::exists(MainWindow::recoveryPath()));
    }

    void saveWritesTheRunThenQuits() {
        const QString path = m_dir.filePath("on-quit.json");
        MainWindow w(inProcess());
        w.show();
        QVERIFY(measureSome(w));
        w.stopMeasuring();
        QTRY_COMPARE_WITH_TIMEOUT(w.bridge()->state(), SessionBridge::State::Idle, 3000);
        const std::size_t n = w.bridge()->history()->intervals().size();
        answerNextModal([path](QWidget* m) { clickButton(m, QMessageBox::Save); });
        // The file dialog follows the prompt: answer it with the path.
        QTimer::singleShot(0, [path] {
            answerNextModal([path](QWidget* m) {
                auto* dialog = qobject_cast<QFileDialog*>(m);
                QVERIFY(dialog);
                dialog->selectFile(path);
                QMetaObject::invokeMethod(dialog, "accept"); // as the Save button does
            });
        });
        QVERIFY(w.close());
        QCOMPARE(le::load_session(path.toStdString()).intervals().size(), n);
        QVERIFY(!w.hasUnsavedRun());
    }

    void savedRunClosesWithoutAsking() {
        MainWindow w(inProcess());
        w.show();
        QVERIFY(measureSome(w));
        w.stopMeasuring();
        QTRY_COMPARE_WITH_TIMEOUT(w.bridge()->state(), SessionBridge::State::Idle, 3000);
        QCOMPARE(w.saveSession(m_dir.filePath("saved.json")), QString());
        QVERIFY(!w.hasUnsavedRun());
        QVERIFY(w.close()); // no prompt: a modal box would block here
    }

    void crashedRunIsOfferedAtTheNextStart() {
        std::size_t measured = 0;
        {
            MainWindow w(inProcess());
            w.show();
            QVERIFY(measureSome(w));
            w.stopMeasuring();
            QTRY_COMPARE_WITH_TIMEOUT(w.bridge()->state(), SessionBridge::State::Idle, 3000);
            QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(MainWindow::recoveryPath()), 3000);
            measured = w.bridge()->history()->intervals().size();
        } // destroyed without closing, as a crash would leave it
        WindowOptions o = inProcess();
        o.autoStart = false;
        MainWindow next(o);
        next.show();
        QTRY_VERIFY_WITH_TIMEOUT(next.findChild<QMessageBox*>("recoveryBox"), 3000);
        QVERIFY(next.findChild<QMessageBox*>("recoveryBox")->isVisible());
        QVERIFY(QFile::exists(MainWindow::offeredRecoveryPath()));
        QVERIFY(!QFile::exists(MainWindow::recoveryPath())); // moved aside: this window's autosave
        QCOMPARE(next.showRecoveredRun(), QString());
        const OverlayRuns::Runs runs = child<OverlayRuns>(&next, "overlayRuns")->runs();
        QCOMPARE(runs.size(), 1);
        QCOMPARE(runs.front()->intervals().size(), measured);
        // Discard removes it.
        child<QPushButton>(next.findChild<QMessageBox*>("recoveryBox"), "recoverDiscardButton")->click();
        QVERIFY(!QFile::exists(MainWindow::offeredRecoveryPath()));
    }

private:
    QTemporaryDir m_dir;
};

LE_WINDOW_TEST_MAIN(TestWindowQuit)

#include "tst_window_quit.moc"
